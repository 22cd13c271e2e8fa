package dirmode

import (
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// source is the original text of one document and its parse, with the
// positions splicing needs. The parser gives each node only where it
// starts; where a node ends is found from the text and from the node that
// comes next.
type source struct {
	text string
	// lineStart holds the byte offset of each line.
	lineStart []int
	root      *yaml.Node
	// order lists the nodes in document order (a key before its value);
	// index and after give a node's place in it and the place after its subtree.
	order        []*yaml.Node
	index, after map[*yaml.Node]int
}

func newSource(text string, root *yaml.Node) *source {
	s := &source{text: text, root: root, index: map[*yaml.Node]int{}, after: map[*yaml.Node]int{}}
	s.lineStart = append(s.lineStart, 0)
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' && i+1 < len(text) {
			s.lineStart = append(s.lineStart, i+1)
		}
	}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		s.index[n] = len(s.order)
		s.order = append(s.order, n)
		for _, c := range n.Content {
			walk(c)
		}
		s.after[n] = len(s.order)
	}
	walk(root)
	return s
}

// line returns line i (0-based) without its line break.
func (s *source) line(i int) string {
	end := len(s.text)
	if i+1 < len(s.lineStart) {
		end = s.lineStart[i+1]
	}
	return strings.TrimRight(s.text[s.lineStart[i]:end], "\r\n")
}

// lineEnd is the offset of the end of line i, before its line break.
func (s *source) lineEnd(i int) int {
	return s.lineStart[i] + len(s.line(i))
}

// offset is where n starts. The parser counts columns in characters.
func (s *source) offset(n *yaml.Node) int {
	i := n.Line - 1
	if i < 0 || i >= len(s.lineStart) {
		return -1
	}
	line := s.line(i)
	off := 0
	for col := 1; col < n.Column && off < len(line); col++ {
		_, size := utf8.DecodeRuneInString(line[off:])
		off += size
	}
	return s.lineStart[i] + off
}

// column is the 0-based column of n in bytes, which is its indentation when
// only spaces come before it.
func (s *source) column(n *yaml.Node) int {
	return s.offset(n) - s.lineStart[n.Line-1]
}

// prefix is the text of n's line before n.
func (s *source) prefix(n *yaml.Node) string {
	return s.text[s.lineStart[n.Line-1]:s.offset(n)]
}

func isFlow(n *yaml.Node) bool { return n.Style&yaml.FlowStyle != 0 }

// end is the offset just after a flow collection or a single scalar token:
// what a flow edit needs. ok is false where the text does not say it
// plainly (block scalars, tags, plain scalars over several lines).
func (s *source) end(n *yaml.Node, inFlow bool) (int, bool) {
	start := s.offset(n)
	if start < 0 {
		return 0, false
	}
	t := s.text
	switch {
	case n.Kind != yaml.ScalarNode:
		if !isFlow(n) {
			return 0, false
		}
		return s.bracketEnd(start)
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(t); i++ {
			switch t[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(t); i++ {
			if t[i] == '\'' {
				if i+1 < len(t) && t[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, true
			}
		}
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle|yaml.TaggedStyle) != 0 || n.Tag == "!!null" && n.Value == "":
		return 0, false
	default:
		i := start
		for i < len(t) && t[i] != '\n' && t[i] != '\r' {
			if inFlow && strings.IndexByte(",]}", t[i]) >= 0 {
				break
			}
			if t[i] == '#' && i > start && (t[i-1] == ' ' || t[i-1] == '\t') {
				break
			}
			i++
		}
		token := strings.TrimRight(t[start:i], " \t")
		if token != n.Value {
			return 0, false
		}
		return start + len(token), true
	}
	return 0, false
}

// bracketEnd finds the bracket closing the flow collection that opens at
// start, skipping quoted text and comments.
func (s *source) bracketEnd(start int) (int, bool) {
	t := s.text
	depth := 0
	for i := start; i < len(t); i++ {
		switch c := t[i]; c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			for i++; i < len(t) && t[i] != '"'; i++ {
				if t[i] == '\\' {
					i++
				}
			}
		case '\'':
			for i++; i < len(t); i++ {
				if t[i] == '\'' {
					if i+1 < len(t) && t[i+1] == '\'' {
						i++
						continue
					}
					break
				}
			}
		case '#':
			if i > 0 && (t[i-1] == ' ' || t[i-1] == '\t' || t[i-1] == '\n') {
				for i < len(t) && t[i] != '\n' {
					i++
				}
			}
		}
	}
	return 0, false
}

// lastLine is the last line (0-based) that n's own text reaches, as far as
// the parse says: multi-line scalars may reach further, which endLine
// accounts for.
func (s *source) lastLine(n *yaml.Node) (int, bool) {
	if n.Kind != yaml.ScalarNode && isFlow(n) {
		end, ok := s.end(n, true)
		if !ok {
			return 0, false
		}
		return s.lineOf(end - 1), true
	}
	last := n.Line - 1
	for _, c := range n.Content {
		l, ok := s.lastLine(c)
		if !ok {
			return 0, false
		}
		last = max(last, l)
	}
	if n.Kind == yaml.ScalarNode && n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		end, ok := s.end(n, false)
		if !ok {
			return 0, false
		}
		last = max(last, s.lineOf(end-1))
	}
	return last, true
}

func (s *source) lineOf(offset int) int {
	lo, hi := 0, len(s.lineStart)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if s.lineStart[mid] <= offset {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// endLine is the last line of a block node n (a value, or a sequence
// entry): the line before whatever comes next in the document, less the
// blank lines and comments between them, which belong to what follows.
// Comment-like lines are kept when the subtree ends in a block scalar,
// which can hold them.
func (s *source) endLine(n *yaml.Node) (int, bool) {
	last, ok := s.lastLine(n)
	if !ok {
		return 0, false
	}
	end := len(s.lineStart) - 1
	if next := s.after[n]; next < len(s.order) {
		nextLine := s.order[next].Line - 1
		// A sequence entry may start on the line of its dash before it.
		for nextLine-1 > last && strings.TrimSpace(s.line(nextLine-1)) == "-" {
			nextLine--
		}
		end = nextLine - 1
	}
	if end < last {
		return 0, false
	}
	// Only a block scalar reaches past its last line as the parse tells it
	// and can hold lines that look like comments.
	tail := s.order[s.after[n]-1]
	keepComments := tail.Kind == yaml.ScalarNode && tail.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	for end > last {
		l := strings.TrimSpace(s.line(end))
		if l != "" && (keepComments || !strings.HasPrefix(l, "#")) {
			break
		}
		end--
	}
	return end, true
}
