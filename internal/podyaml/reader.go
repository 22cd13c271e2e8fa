package podyaml

import (
	"math"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
)

// Reader decodes YAML nodes into Go values exactly as typedyaml.Decode does
// (YAML to generic values, to JSON, to the typed value), for the shapes
// found in real manifests. On anything else — an unknown or duplicate key,
// a tag other than the expected one, a timestamp, a merge key, an alias —
// it gives up, OK reports false, and the caller decodes the node with
// typedyaml instead, which also gives the error message for bad input.
//
// It exists because the JSON path builds a reflection table for every API
// type on first use, and decodes each value three times.
type Reader struct {
	failed bool
}

// OK reports whether everything read so far was decoded.
func (r *Reader) OK() bool { return !r.failed }

// giveUp marks the read as failed; the values returned after it do not matter.
func (r *Reader) giveUp() { r.failed = true }

// Fields calls field for each key of a map, and gives up on a key that
// field does not know (it returns false), a key given twice, or a node that
// is not a map. It reports false for null, which decodes to the zero value.
func (r *Reader) Fields(n *yaml.Node, field func(key string, value *yaml.Node) bool) bool {
	if r.failed || yamlnode.IsNull(n) {
		return false
	}
	if n.Kind != yaml.MappingNode || len(n.Content)%2 != 0 || len(yamlnode.RepeatedKeys(n)) > 0 {
		r.giveUp()
		return false
	}
	for i := 0; i < len(n.Content); i += 2 {
		key := n.Content[i]
		if key.Kind != yaml.ScalarNode || key.ShortTag() != yaml.NodeTagString {
			r.giveUp()
			return false
		}
		if !field(key.Value, n.Content[i+1]) {
			r.giveUp()
			return false
		}
	}
	return true
}

// OnlyField reads a map that has one field, key, with read: any other key
// makes the Reader give up, as in Fields.
func (r *Reader) OnlyField(n *yaml.Node, key string, read func(value *yaml.Node)) {
	r.Fields(n, func(k string, value *yaml.Node) bool {
		if k != key {
			return false
		}
		read(value)
		return true
	})
}

// scalar reports whether n is a scalar of the YAML tag, to be read. Null,
// and anything after the Reader gave up, reads as the zero value; a node of
// another kind or tag makes it give up.
func (r *Reader) scalar(n *yaml.Node, tag string) bool {
	if r.failed || yamlnode.IsNull(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != tag {
		r.giveUp()
		return false
	}
	return true
}

// String reads a string; null is "".
func (r *Reader) String(n *yaml.Node) string {
	if !r.scalar(n, yaml.NodeTagString) {
		return ""
	}
	return n.Value
}

// Bool reads a boolean; null is false.
func (r *Reader) Bool(n *yaml.Node) bool {
	if !r.scalar(n, yaml.NodeTagBool) {
		return false
	}
	// These are the spellings go-yaml resolves to !!bool; an explicit
	// !!bool tag on anything else fails here as it fails the JSON path.
	switch n.Value {
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	r.giveUp()
	return false
}

// BoolPtr reads an optional boolean; null is nil.
func (r *Reader) BoolPtr(n *yaml.Node) *bool { return Ptr(r, n, r.Bool) }

// Int64 reads an integer with go-yaml's own integer syntax.
func (r *Reader) Int64(n *yaml.Node) int64 {
	var i int64
	if r.scalar(n, yaml.NodeTagInt) && n.Decode(&i) != nil {
		r.giveUp()
	}
	return i
}

// Int64Ptr reads an optional integer; null is nil.
func (r *Reader) Int64Ptr(n *yaml.Node) *int64 { return Ptr(r, n, r.Int64) }

// Int32 reads an integer that must fit 32 bits, as the JSON decoder requires.
func (r *Reader) Int32(n *yaml.Node) int32 {
	i := r.Int64(n)
	if i < math.MinInt32 || i > math.MaxInt32 {
		r.giveUp()
	}
	return int32(i)
}

// Strings reads a list of strings; null is nil and [] is an empty list.
func (r *Reader) Strings(n *yaml.Node) []string {
	return List(r, n, r.String)
}

// StringMap reads a map of strings; null is nil and {} is an empty map.
func (r *Reader) StringMap(n *yaml.Node) map[string]string {
	if r.failed || yamlnode.IsNull(n) {
		return nil
	}
	out := map[string]string{}
	r.Fields(n, func(key string, value *yaml.Node) bool {
		out[key] = r.String(value)
		return true
	})
	return out
}

// List reads a list with item; null is nil and [] is an empty list, as the
// JSON decoder makes them.
func List[T any](r *Reader, n *yaml.Node, item func(*yaml.Node) T) []T {
	if r.failed || yamlnode.IsNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.giveUp()
		return nil
	}
	out := make([]T, 0, len(n.Content))
	for _, el := range n.Content {
		out = append(out, item(el))
		if r.failed {
			return nil
		}
	}
	return out
}

// Ptr reads an optional value with read; null is nil, and {} for a struct
// a pointer to the zero value, as the JSON decoder makes them.
func Ptr[T any](r *Reader, n *yaml.Node, read func(*yaml.Node) T) *T {
	if r.failed || yamlnode.IsNull(n) {
		return nil
	}
	v := read(n)
	return &v
}
