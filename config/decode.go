package config

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// kindString spells a kind the way kubectl explain and API errors do: Kind.version.group.
func kindString(gvk schema.GroupVersionKind) string {
	s := gvk.Kind + "." + gvk.Version
	if gvk.Group != "" {
		s += "." + gvk.Group
	}
	return s
}

// ExpectedKinds names what the function accepts as its functionConfig.
var ExpectedKinds = fmt.Sprintf("%s, or a ConfigMap with the keys %s",
	kindString(schema.GroupVersionKind{Group: Group, Version: Version, Kind: Kind}), strings.Join(configMapKeys, ", "))

// Load decodes, defaults and validates the functionConfig. Every problem of
// every kind (wrong types, unknown or repeated fields, invalid values) is
// returned at once, each with the field it is about, in document order.
//
// The errors carry no line numbers: kpt and kustomize re-encode the config
// (kpt adds annotations to it), so a line of the functionConfig they pass is
// not a line of the user's file. LoadWithLines is for a config read from its
// own file.
func Load(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	return load(obj, false)
}

// LoadWithLines is Load for a config parsed from its own file: each error
// also names the line of the file it is about.
func LoadWithLines(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	return load(obj, true)
}

func load(obj *fn.KubeObject, showLines bool) (*WorkloadIsolation, field.ErrorList) {
	if obj == nil || obj.IsEmpty() {
		return nil, field.ErrorList{field.Required(field.NewPath("functionConfig"),
			"no functionConfig given; expected "+ExpectedKinds)}
	}
	switch {
	case obj.IsGVK(Group, Version, Kind):
		return loadTyped(obj.CopyToResourceNode().YNode(), showLines)
	case obj.IsGVK("", "v1", "ConfigMap"):
		return loadConfigMap(obj)
	default:
		return nil, field.ErrorList{decodeError(field.NewPath("kind"),
			fmt.Sprintf("unsupported functionConfig %s; expected %s", kindString(obj.GroupVersionKind()), ExpectedKinds))}
	}
}

// loadTyped decodes a WorkloadIsolation and validates what decoded, so that a
// wrong type, an unknown field and an invalid value all come out in one run.
func loadTyped(node *yaml.Node, showLines bool) (*WorkloadIsolation, field.ErrorList) {
	w := &WorkloadIsolation{}
	d := &decoder{lines: map[string]int{}, failed: map[string]bool{}, at: map[*field.Error]int{}}
	d.decode(node, reflect.ValueOf(w).Elem(), nil)
	w.Default()
	errs := d.errs
	for _, e := range w.Validate() {
		// A field that could not be decoded was left empty: that it is then
		// missing or invalid is the same problem, already reported.
		if !d.failedAt(e.Field) {
			errs = append(errs, e)
		}
	}
	if len(errs) == 0 {
		return w, nil
	}
	d.locate(errs, showLines)
	return nil, errs
}

// decoder reads a YAML node into a config value field by field, by the
// fields' json names, the way the user wrote it: every problem is collected
// with its path instead of stopping at the first, and worded in YAML's terms
// (a list, a map, a string) rather than Go's.
//
// It is strict where a lenient decoder would silently change what is
// isolated: an unknown field (a misspelt `excludes`) and a key given twice
// are errors, and a value is never converted to another type.
type decoder struct {
	errs field.ErrorList
	// lines maps each decoded field path to its line, to place every error,
	// validation errors included.
	lines map[string]int
	// failed holds the paths whose value had the wrong type.
	failed map[string]bool
	// at is the line of an error whose place is not its field's first line
	// (the second of two equal keys).
	at map[*field.Error]int
}

func child(path *field.Path, name string) *field.Path {
	if path == nil {
		return field.NewPath(name)
	}
	return path.Child(name)
}

func (d *decoder) fail(n *yaml.Node, path *field.Path, detail string) {
	if path == nil {
		path = field.NewPath("functionConfig")
	}
	d.failed[path.String()] = true
	d.report(n, path, detail)
}

func (d *decoder) report(n *yaml.Node, path *field.Path, detail string) {
	e := decodeError(path, detail)
	d.errs = append(d.errs, e)
	d.at[e] = n.Line
}

func (d *decoder) wrongType(n *yaml.Node, path *field.Path, expected string) {
	d.fail(n, path, fmt.Sprintf("expected %s, found %s", expected, describe(n)))
}

// decode sets v from n. A null leaves v as it is, as in JSON.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path *field.Path) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if path != nil {
		if _, seen := d.lines[path.String()]; !seen {
			d.lines[path.String()] = n.Line
		}
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == yaml.NodeTagNull {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decode(n, elem.Elem(), path)
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.wrongType(n, path, "a list")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), path.Index(i))
		}
		v.Set(s)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.String:
		// A date is a string to Kubernetes; YAML 1.1 calls it a timestamp.
		if n.Kind != yaml.ScalarNode || (n.ShortTag() != yaml.NodeTagString && n.ShortTag() != "!!timestamp") {
			d.wrongType(n, path, "a string")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.ShortTag() != yaml.NodeTagBool || err != nil {
			d.wrongType(n, path, "true or false")
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int32, reflect.Int64:
		i, ok := wholeNumber(n)
		switch {
		case !ok:
			d.wrongType(n, path, "a whole number")
		case v.OverflowInt(i):
			bits := v.Type().Bits()
			d.wrongType(n, path, fmt.Sprintf("a whole number from %d to %d", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1))
		default:
			v.SetInt(i)
		}
	default:
		// Only a new config type with a field of another kind gets here;
		// TestDecoderCoversConfigTypes catches it first.
		d.fail(n, path, fmt.Sprintf("cannot be decoded (a %s field)", v.Kind()))
	}
}

// wholeNumber reads an integer as YAML writes it (decimal, 0x, 0o), or a
// float without a fraction, which the JSON path accepted too.
func wholeNumber(n *yaml.Node) (int64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	switch n.ShortTag() {
	case yaml.NodeTagInt:
		var i int64
		return i, n.Decode(&i) == nil
	case yaml.NodeTagFloat:
		var f float64
		if n.Decode(&f) != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

// entry is one key of a YAML map and its value.
type entry struct{ key, value *yaml.Node }

// entries lists the keys of a map in order, with merge keys (`<<: *base`)
// resolved as YAML does: explicit keys win over merged ones. A key given
// twice is reported once, at its second place, and only the first is kept.
// keyPath gives the path of a key: a field of a struct, an entry of a map.
func (d *decoder) entries(n *yaml.Node, path *field.Path, keyPath func(string) *field.Path) []entry {
	var out []entry
	first := map[string]*yaml.Node{}
	var merged []entry
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind == yaml.ScalarNode && key.ShortTag() == "!!merge" {
			merged = append(merged, d.mergeEntries(value, path, keyPath)...)
			continue
		}
		if key.Kind != yaml.ScalarNode {
			d.fail(key, path, "a map key must be a plain value, found "+describe(key))
			continue
		}
		if _, dup := first[key.Value]; dup {
			d.report(key, keyPath(key.Value), "the key is given twice; a map holds one value per key, and YAML readers disagree on which one wins")
			continue
		}
		first[key.Value] = key
		out = append(out, entry{key, value})
	}
	for _, m := range merged {
		if _, ok := first[m.key.Value]; !ok {
			first[m.key.Value] = m.key
			out = append(out, m)
		}
	}
	return out
}

func (d *decoder) mergeEntries(n *yaml.Node, path *field.Path, keyPath func(string) *field.Path) []entry {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return d.entries(n, path, keyPath)
	case yaml.SequenceNode:
		var out []entry
		for _, m := range n.Content {
			out = append(out, d.mergeEntries(m, path, keyPath)...)
		}
		return out
	}
	d.fail(n, path, "a merge key (<<) must refer to a map, found "+describe(n))
	return nil
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path *field.Path) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a map")
		return
	}
	fields := structFields(v.Type())
	for _, e := range d.entries(n, path, func(k string) *field.Path { return child(path, k) }) {
		name := e.key.Value
		index, ok := fields.byName[name]
		fp := child(path, name)
		if !ok {
			d.report(e.key, fp, unknownField(name, fields.names))
			continue
		}
		d.lines[fp.String()] = e.key.Line
		d.decode(e.value, v.FieldByIndex(index), fp)
	}
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path *field.Path) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a map")
		return
	}
	m := reflect.MakeMap(v.Type())
	for _, e := range d.entries(n, path, path.Key) {
		kp := path.Key(e.key.Value)
		d.lines[kp.String()] = e.key.Line
		val := reflect.New(v.Type().Elem()).Elem()
		d.decode(e.value, val, kp)
		m.SetMapIndex(reflect.ValueOf(e.key.Value).Convert(v.Type().Key()), val)
	}
	v.Set(m)
}

// fieldTable is a struct's fields by json name, embedded inline structs
// (metav1.TypeMeta, Crossplane's GKEOnAWS) flattened into it.
type fieldTable struct {
	byName map[string][]int
	names  []string
}

func structFields(t reflect.Type) fieldTable {
	ft := fieldTable{byName: map[string][]int{}}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			idx := append(slices.Clone(index), i)
			switch {
			case name == "-" || !f.IsExported():
			case f.Anonymous && name == "" || strings.Contains(opts, "inline"):
				walk(f.Type, idx)
			default:
				if name == "" {
					name = f.Name
				}
				ft.byName[name] = idx
				ft.names = append(ft.names, name)
			}
		}
	}
	walk(t, nil)
	return ft
}

// unknownField says what the user may have meant: the nearest field name
// when one is a likely typo, else every field the map may hold.
func unknownField(name string, known []string) string {
	const why = " (a misspelt field would silently change what is isolated)"
	best, bestDistance := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestDistance {
			best, bestDistance = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field; did you mean %s?%s", best, why)
	}
	return fmt.Sprintf("unknown field; the fields here are %s%s", strings.Join(known, ", "), why)
}

// editDistance is the Levenshtein distance: insertions, deletions and
// substitutions of one byte.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// describe names a YAML value in the user's terms, for "found ...".
func describe(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a map"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case yaml.NodeTagString:
			return strconv.Quote(n.Value)
		case yaml.NodeTagInt, yaml.NodeTagFloat:
			return "the number " + n.Value
		case yaml.NodeTagBool:
			return n.Value
		case yaml.NodeTagNull:
			return "null"
		}
		return fmt.Sprintf("%s (a value tagged %s)", n.Value, n.ShortTag())
	}
	return "nothing"
}

// failedAt reports whether a path, or a field that contains it, had a value
// of the wrong type.
func (d *decoder) failedAt(path string) bool {
	for p := path; p != ""; p = parentPath(p) {
		if d.failed[p] {
			return true
		}
	}
	return false
}

// lineOf is the line of the path, or of the nearest field that contains it
// (a missing field is reported at its parent's line); 0 when none is known.
func (d *decoder) lineOf(path string) int {
	for p := path; p != ""; p = parentPath(p) {
		if l, ok := d.lines[p]; ok {
			return l
		}
	}
	return 0
}

// parentPath strips the last segment of a field path: ".name" or "[i]".
// A map key may hold dots, so a trailing "[...]" goes first.
func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i >= 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

// locate puts the errors in the order of the lines they are about (the
// order in which the user reads and fixes the file) and, when the lines are
// the user's, names each line.
func (d *decoder) locate(errs field.ErrorList, showLines bool) {
	line := make(map[*field.Error]int, len(errs))
	for _, e := range errs {
		if l, ok := d.at[e]; ok {
			line[e] = l
		} else {
			line[e] = d.lineOf(e.Field)
		}
	}
	slices.SortStableFunc(errs, func(a, b *field.Error) int { return line[a] - line[b] })
	if !showLines {
		return
	}
	for _, e := range errs {
		if l := line[e]; l > 0 {
			e.Detail = strings.TrimSpace(e.Detail + fmt.Sprintf(" (line %d)", l))
		}
	}
}

func decodeError(path *field.Path, detail string) *field.Error {
	return field.Invalid(path, field.OmitValueType{}, detail)
}
