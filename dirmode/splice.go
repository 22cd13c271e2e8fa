package dirmode

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

// splice rewrites a changed document by editing its text rather than
// encoding it again: it walks the original parse and the function's output
// side by side and writes only what differs. What the function adds (a
// toleration, a node affinity, a nodeSelector label) is inserted after its
// last sibling, in the layout of its neighbours: the indentation and
// sequence style of the block it joins, flow style inside a flow
// collection, JSON inside a JSON document, and the file's line breaks.
// Everything else keeps its bytes: blank lines, comments, quoting, mixed
// indentation.
//
// Where a part cannot be edited in place (a key removed or moved, a value
// of another kind, an empty `[]` that must become a block list), the
// smallest entry around it is written again. ok is false when even the
// whole document would have to be, or when the result, read back, is not
// the function's output, comments included: the caller then encodes the
// document as a whole.
//
// Before, with a toleration and a node affinity added:
//
//	spec:
//	  containers:
//	    - name: app
//
//	    # the sidecar
//	    - name: proxy
//
// After: only the new lines are new.
//
//	spec:
//	  containers:
//	    - name: app
//
//	    # the sidecar
//	    - name: proxy
//	  tolerations:
//	    - key: workloadType
//	      ...
//	  affinity:
//	    nodeAffinity:
//	      ...
func splice(text string, updated *yaml.Node, jsonFile bool) (string, bool) {
	// Positions are counted in lines broken by LF (or CRLF); YAML breaks
	// lines at a lone CR, NEL, LS and PS too.
	if strings.Contains(strings.ReplaceAll(text, "\r\n", "\n"), "\r") || strings.ContainsAny(text, "\u0085\u2028\u2029") {
		return "", false
	}
	doc := &yaml.Node{}
	if err := yaml.NewDecoder(strings.NewReader(text)).Decode(doc); err != nil || len(doc.Content) != 1 {
		return "", false
	}
	root := doc.Content[0]
	sp := &splicer{src: newSource(text, root)}
	sp.json = jsonFile || isFlow(root) && len(root.Content) > 0 && root.Content[0].Style&yaml.DoubleQuotedStyle != 0
	sp.step = sp.src.mappingIndent()
	if isFlow(root) && len(root.Content) > 0 && root.Content[0].Line > root.Line {
		// A JSON document: its indentation is that of its first key.
		if step := sp.src.column(root.Content[0]) - sp.lineIndent(root); step > 0 {
			sp.step = step
		}
	}
	if !sp.node(root, updated, nil) {
		return "", false
	}
	out, ok := sp.apply(strings.Contains(text, "\r\n"))
	if !ok {
		return "", false
	}
	// The oracle: the text read back is the function's output, comments
	// included (each as often as there, wherever the parser attaches it).
	check := &yaml.Node{}
	want := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: doc.HeadComment, LineComment: doc.LineComment, FootComment: doc.FootComment,
		Content: []*yaml.Node{updated}}
	// Aliases are expanded as they were in the function's input.
	if err := yaml.NewDecoder(strings.NewReader(out)).Decode(check); err != nil || len(check.Content) != 1 ||
		krmio.ExpandAliases(check) != nil || !sameTree(check.Content[0], updated) || !sameComments(want, check) {
		return "", false
	}
	return out, true
}

type splicer struct {
	src *source
	// json is set in JSON documents, where new scalars are JSON too.
	json bool
	// step is the document's mapping indentation.
	step  int
	edits []edit
}

// edit replaces text[start:end].
type edit struct {
	start, end int
	text       string
}

func (sp *splicer) apply(crlf bool) (string, bool) {
	sort.SliceStable(sp.edits, func(i, j int) bool { return sp.edits[i].start < sp.edits[j].start })
	var b strings.Builder
	at := 0
	for _, e := range sp.edits {
		if e.start < at || e.end < e.start {
			return "", false
		}
		b.WriteString(sp.src.text[at:e.start])
		t := e.text
		if crlf {
			t = strings.ReplaceAll(t, "\n", "\r\n")
		}
		b.WriteString(t)
		at = e.end
	}
	b.WriteString(sp.src.text[at:])
	return b.String(), true
}

// node edits o, the original, into n. parents are o's ancestors. On
// failure it leaves no edit behind, so the caller can write o's entry
// again instead.
func (sp *splicer) node(o, n *yaml.Node, parents []*yaml.Node) bool {
	if sameTree(o, n) {
		return true
	}
	mark := len(sp.edits)
	ok := false
	if o.Kind == n.Kind {
		switch o.Kind {
		case yaml.ScalarNode:
			ok = sp.scalar(o, n, inFlow(parents))
		case yaml.MappingNode:
			ok = sp.mapping(o, n, parents)
		case yaml.SequenceNode:
			ok = sp.sequence(o, n, parents)
		}
	}
	if !ok {
		sp.edits = sp.edits[:mark]
	}
	return ok
}

func inFlow(parents []*yaml.Node) bool {
	return len(parents) > 0 && isFlow(parents[len(parents)-1])
}

func with(parents []*yaml.Node, n *yaml.Node) []*yaml.Node {
	return append(parents[:len(parents):len(parents)], n)
}

func (sp *splicer) scalar(o, n *yaml.Node, flow bool) bool {
	end, ok := sp.src.end(o, flow)
	if !ok {
		return false
	}
	var text string
	if flow {
		text, ok = sp.flowScalar(n)
	} else {
		text, ok = sp.block(bare(n), nil)
		ok = ok && !strings.Contains(text, "\n")
	}
	if !ok {
		return false
	}
	sp.edits = append(sp.edits, edit{sp.src.offset(o), end, text})
	return true
}

func (sp *splicer) mapping(o, n *yaml.Node, parents []*yaml.Node) bool {
	index, ok := keyIndex(o)
	if _, nok := keyIndex(n); !ok || !nok {
		return false
	}
	// Keys are only added: every original key is still there, in order.
	last, kept := -1, 0
	for j := 0; j < len(n.Content); j += 2 {
		if i, ok := index[n.Content[j].Value]; ok {
			if i < last {
				return false
			}
			last, kept = i, kept+1
		}
	}
	if kept != len(o.Content)/2 || len(o.Content) == 0 && !inFlow(parents) {
		// An empty `{}` in a block becomes a block map: its entry is written again.
		return false
	}
	inner := with(parents, o)
	prev := -1
	var pending []*yaml.Node
	for j := 0; j < len(n.Content); j += 2 {
		k, v := n.Content[j], n.Content[j+1]
		i, ok := index[k.Value]
		if !ok {
			pending = append(pending, k, v)
			continue
		}
		if len(pending) > 0 {
			if !sp.insertEntries(o, prev, pending, parents) {
				return false
			}
			pending = nil
		}
		if !sp.node(o.Content[i+1], v, inner) && !sp.replaceEntry(o, i, k, v, parents) {
			return false
		}
		prev = i
	}
	return len(pending) == 0 || sp.insertEntries(o, prev, pending, parents)
}

// keyIndex maps each key of m to its position; ok is false for keys that
// are not plain scalars or are given twice.
func keyIndex(m *yaml.Node) (map[string]int, bool) {
	index := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if _, dup := index[k.Value]; dup || k.Kind != yaml.ScalarNode {
			return nil, false
		}
		index[k.Value] = i
	}
	return index, true
}

// insertEntries adds the key/value pairs to o after its entry at prev (or
// first, when prev is -1).
func (sp *splicer) insertEntries(o *yaml.Node, prev int, pairs []*yaml.Node, parents []*yaml.Node) bool {
	if isFlow(o) {
		entries := make([]*yaml.Node, 0, len(pairs)/2)
		for i := 0; i < len(pairs); i += 2 {
			entries = append(entries, &yaml.Node{Kind: yaml.MappingNode, Content: pairs[i : i+2]})
		}
		var after *yaml.Node
		if prev >= 0 {
			after = o.Content[prev+1]
		}
		return sp.flowInsert(o, after, entries)
	}
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	for i := 0; i < len(pairs); i += 2 {
		m.Content = append(m.Content, bare(pairs[i]), pairs[i+1])
	}
	text, ok := sp.block(m, with(parents, o))
	if !ok {
		return false
	}
	first := o.Content[0]
	col := sp.src.column(first)
	if prev >= 0 {
		end, ok := sp.src.endLine(o.Content[prev+1])
		if !ok {
			return false
		}
		return sp.insertLines(end, indent(text, col, true))
	}
	if strings.TrimSpace(sp.src.prefix(first)) != "" {
		// `- first: ...`: the new keys go after the dash, the old first key on a line of its own.
		sp.edits = append(sp.edits, edit{sp.src.offset(first), sp.src.offset(first), indent(text, col, false) + "\n" + strings.Repeat(" ", col)})
		return true
	}
	line := first.Line - 1
	for line > 0 && strings.HasPrefix(strings.TrimSpace(sp.src.line(line-1)), "#") {
		line--
	}
	at := sp.src.lineStart[line]
	sp.edits = append(sp.edits, edit{at, at, indent(text, col, true) + "\n"})
	return true
}

// insertLines inserts body (lines without a final line break) after line i.
func (sp *splicer) insertLines(i int, body string) bool {
	if i+1 < len(sp.src.lineStart) {
		at := sp.src.lineStart[i+1]
		sp.edits = append(sp.edits, edit{at, at, body + "\n"})
		return true
	}
	if strings.HasSuffix(sp.src.text, "\n") {
		sp.edits = append(sp.edits, edit{len(sp.src.text), len(sp.src.text), body + "\n"})
	} else {
		sp.edits = append(sp.edits, edit{len(sp.src.text), len(sp.src.text), "\n" + body})
	}
	return true
}

// replaceEntry writes the entry at i of o again as the function left it:
// its key k (whose comment may have moved there from the value) and value v.
func (sp *splicer) replaceEntry(o *yaml.Node, i int, k, v *yaml.Node, parents []*yaml.Node) bool {
	key, old := o.Content[i], o.Content[i+1]
	if isFlow(o) {
		return sp.replaceFlow(old, v)
	}
	end, ok := sp.entryEnd(key, old)
	if !ok {
		return false
	}
	text, ok := sp.block(&yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{bareValue(k), bareValue(v)}}, with(parents, o))
	if !ok {
		return false
	}
	sp.edits = append(sp.edits, edit{sp.src.offset(key), sp.src.lineEnd(end), indent(text, sp.src.column(key), false)})
	return true
}

// entryEnd is the last line of a block map entry. A value left empty
// (`key:`) has no text of its own, so the entry ends on the key's line.
func (sp *splicer) entryEnd(key, value *yaml.Node) (int, bool) {
	if value.Kind == yaml.ScalarNode && value.ShortTag() == yaml.NodeTagNull && value.Value == "" {
		if sp.src.after[value] < len(sp.src.order) && sp.src.order[sp.src.after[value]].Line == key.Line {
			return 0, false
		}
		return key.Line - 1, true
	}
	return sp.src.endLine(value)
}

func (sp *splicer) replaceFlow(old, v *yaml.Node) bool {
	end, ok := sp.src.end(old, true)
	if !ok {
		return false
	}
	text, ok := sp.flowText(v, sp.lineIndent(old), false)
	if !ok {
		return false
	}
	sp.edits = append(sp.edits, edit{sp.src.offset(old), end, text})
	return true
}

func (sp *splicer) sequence(o, n *yaml.Node, parents []*yaml.Node) bool {
	if len(n.Content) < len(o.Content) || len(o.Content) == 0 && !inFlow(parents) {
		return false
	}
	inner := with(parents, o)
	for i := range o.Content {
		if sp.node(o.Content[i], n.Content[i], inner) {
			continue
		}
		if !sp.replaceElement(o, i, n.Content[i], parents) {
			return false
		}
	}
	added := n.Content[len(o.Content):]
	if len(added) == 0 {
		return true
	}
	if isFlow(o) {
		var after *yaml.Node
		if len(o.Content) > 0 {
			after = o.Content[len(o.Content)-1]
		}
		return sp.flowInsert(o, after, added)
	}
	end, ok := sp.src.endLine(o.Content[len(o.Content)-1])
	if !ok {
		return false
	}
	text, ok := sp.block(&yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: added}, inner)
	if !ok {
		return false
	}
	return sp.insertLines(end, indent(text, sp.src.column(o), true))
}

func (sp *splicer) replaceElement(o *yaml.Node, i int, v *yaml.Node, parents []*yaml.Node) bool {
	old := o.Content[i]
	if isFlow(o) {
		return sp.replaceFlow(old, v)
	}
	end, ok := sp.src.endLine(old)
	if !ok {
		return false
	}
	text, ok := sp.block(bareValue(v), with(parents, o))
	if !ok {
		return false
	}
	sp.edits = append(sp.edits, edit{sp.src.offset(old), sp.src.lineEnd(end), indent(text, sp.src.column(old), false)})
	return true
}

// flowInsert adds entries to the flow collection o after the node
// `after` (the value of a map entry, or a sequence entry), or first when
// after is nil. A map's entries come as one-pair maps. A collection written
// one entry per line gets each new entry on a line of its own too.
func (sp *splicer) flowInsert(o, after *yaml.Node, entries []*yaml.Node) bool {
	var first *yaml.Node
	if len(o.Content) > 0 {
		first = o.Content[0]
	}
	pretty := first != nil && first.Line > o.Line
	col := sp.lineIndent(o) + sp.step
	if pretty {
		col = sp.src.column(first)
	}
	texts := make([]string, 0, len(entries))
	for _, e := range entries {
		// JSON nests one entry per line all the way down; YAML flow style
		// keeps a new value on the line of its entry.
		t, ok := sp.flowEntry(e, col, pretty && sp.json)
		if !ok {
			return false
		}
		texts = append(texts, t)
	}
	sep := ", "
	if pretty {
		sep = ",\n" + strings.Repeat(" ", col)
	}
	switch {
	case first == nil:
		at := sp.src.offset(o) + 1
		sp.edits = append(sp.edits, edit{at, at, strings.Join(texts, ", ")})
	case after == nil:
		at := sp.src.offset(first)
		sp.edits = append(sp.edits, edit{at, at, strings.Join(texts, sep) + sep})
	default:
		at, ok := sp.src.end(after, true)
		if !ok {
			return false
		}
		sp.edits = append(sp.edits, edit{at, at, sep + strings.Join(texts, sep)})
	}
	return true
}

// flowEntry writes a sequence entry, or a map entry given as a one-pair map.
func (sp *splicer) flowEntry(e *yaml.Node, col int, pretty bool) (string, bool) {
	if e.Kind == yaml.MappingNode && e.Tag == "" {
		k, ok := sp.flowScalar(e.Content[0])
		v, vok := sp.flowText(e.Content[1], col, pretty)
		return k + ": " + v, ok && vok
	}
	return sp.flowText(e, col, pretty)
}

// flowText writes n in flow style; pretty puts each entry on a line of its
// own, indented one step from col, as JSON is usually laid out.
func (sp *splicer) flowText(n *yaml.Node, col int, pretty bool) (string, bool) {
	if n.Kind == yaml.ScalarNode {
		return sp.flowScalar(n)
	}
	if n.Kind != yaml.MappingNode && n.Kind != yaml.SequenceNode {
		return "", false
	}
	open, closing, per := "[", "]", 1
	if n.Kind == yaml.MappingNode {
		open, closing, per = "{", "}", 2
	}
	if len(n.Content) == 0 {
		return open + closing, true
	}
	var parts []string
	for i := 0; i < len(n.Content); i += per {
		var text string
		ok := true
		if per == 2 {
			text, ok = sp.flowEntry(&yaml.Node{Kind: yaml.MappingNode, Content: n.Content[i : i+2]}, col+sp.step, pretty)
		} else {
			text, ok = sp.flowText(n.Content[i], col+sp.step, pretty)
		}
		if !ok {
			return "", false
		}
		parts = append(parts, text)
	}
	if !pretty {
		return open + strings.Join(parts, ", ") + closing, true
	}
	in := "\n" + strings.Repeat(" ", col+sp.step)
	return open + in + strings.Join(parts, ","+in) + "\n" + strings.Repeat(" ", col) + closing, true
}

// flowScalar writes a scalar for a flow collection: JSON in a JSON
// document, else as the YAML encoder writes it, quoted where a plain
// scalar would end at a flow indicator.
func (sp *splicer) flowScalar(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		return "", false
	}
	quoted := func() (string, bool) {
		b, err := json.Marshal(n.Value)
		return string(b), err == nil
	}
	if sp.json {
		switch n.ShortTag() {
		case yaml.NodeTagString:
			return quoted()
		case yaml.NodeTagNull:
			return "null", true
		}
		return n.Value, json.Valid([]byte(n.Value))
	}
	text, ok := sp.block(bare(n), nil)
	if !ok || strings.Contains(text, "\n") {
		if n.ShortTag() == yaml.NodeTagString {
			return quoted()
		}
		return "", false
	}
	if text != "" && text[0] != '"' && text[0] != '\'' && (strings.ContainsAny(text, ",[]{}#") || strings.Contains(text, ": ")) {
		return quoted()
	}
	return text, true
}

// block encodes n in block style with the document's indentation, and the
// sequence style found nearest to where it goes. The text has no final
// line break.
func (sp *splicer) block(n *yaml.Node, near []*yaml.Node) (string, bool) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(sp.step)
	if sp.wideNear(near) {
		enc.DefaultSeqIndent()
	} else {
		enc.CompactSeqIndent()
	}
	if err := enc.Encode(n); err != nil {
		return "", false
	}
	if err := enc.Close(); err != nil {
		return "", false
	}
	return strings.TrimSuffix(buf.String(), "\n"), true
}

// wideNear tells whether the block lists nearest to near (its last node
// first, then up) indent their dashes under their key ("wide") or not.
// Documents mix the two, so the nearest neighbour decides.
func (sp *splicer) wideNear(near []*yaml.Node) bool {
	for i := len(near) - 1; i >= 0; i-- {
		if wide, ok := sp.seqStyle(near[i]); ok {
			return wide
		}
	}
	for _, n := range sp.src.order {
		if wide, ok := sp.seqStyle(n); ok {
			return wide
		}
	}
	return false
}

// seqStyle reads the style of the first block list among m's values.
func (sp *splicer) seqStyle(m *yaml.Node) (wide, ok bool) {
	if m.Kind != yaml.MappingNode || isFlow(m) {
		return false, false
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.SequenceNode && !isFlow(v) && len(v.Content) > 0 && v.Line > k.Line {
			return sp.src.column(v) > sp.src.column(k), true
		}
	}
	return false, false
}

// mappingIndent is the indentation of the first block map nested in
// another, 2 when there is none.
func (s *source) mappingIndent() int {
	for _, m := range s.order {
		if m.Kind != yaml.MappingNode || isFlow(m) {
			continue
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			if v.Kind == yaml.MappingNode && !isFlow(v) && len(v.Content) > 0 && v.Line > k.Line {
				if step := s.column(v.Content[0]) - s.column(k); step >= 2 && step <= 9 {
					return step
				}
				return 2
			}
		}
	}
	return 2
}

// lineIndent is the indentation of the line n starts on.
func (sp *splicer) lineIndent(n *yaml.Node) int {
	line := sp.src.line(n.Line - 1)
	return len(line) - len(strings.TrimLeft(line, " "))
}

// indent puts col spaces before every non-empty line of text, or every one
// but the first when first is false (the first continues a line).
func indent(text string, col int, first bool) string {
	pad := strings.Repeat(" ", col)
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		if l != "" && (first || i > 0) {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// bare copies n without the comments around it, which stay in the text
// outside the edited range. Comments inside it are encoded with it.
func bare(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.LineComment, c.FootComment = "", "", ""
	return &c
}

// bareValue copies n without the comments above and below it, which lie
// outside an entry's lines; its line comment is inside them.
func bareValue(n *yaml.Node) *yaml.Node {
	c := *n
	c.HeadComment, c.FootComment = "", ""
	return &c
}

// sameTree compares what two YAML trees mean: kinds, resolved tags, values
// and order, not styles or comments.
func sameTree(a, b *yaml.Node) bool {
	for a.Kind == yaml.AliasNode && a.Alias != nil {
		a = a.Alias
	}
	for b.Kind == yaml.AliasNode && b.Alias != nil {
		b = b.Alias
	}
	if a.Kind != b.Kind || len(a.Content) != len(b.Content) {
		return false
	}
	if a.Kind == yaml.ScalarNode {
		at, bt := a.ShortTag(), b.ShortTag()
		return at == bt && (a.Value == b.Value || at == yaml.NodeTagNull)
	}
	for i := range a.Content {
		if !sameTree(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// sameComments tells whether two trees hold the same comment lines, each
// as often, wherever the parser attached them.
func sameComments(a, b *yaml.Node) bool {
	count := map[string]int{}
	var walk func(n *yaml.Node, d int)
	walk = func(n *yaml.Node, d int) {
		for _, c := range [...]string{n.HeadComment, n.LineComment, n.FootComment} {
			for _, l := range strings.Split(c, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					count[l] += d
				}
			}
		}
		for _, c := range n.Content {
			walk(c, d)
		}
	}
	walk(a, 1)
	walk(b, -1)
	for _, v := range count {
		if v != 0 {
			return false
		}
	}
	return true
}
