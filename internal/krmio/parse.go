package krmio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
)

// MaxAliasExpansion bounds how many nodes YAML aliases may expand to, as a
// multiple of the nodes the input has, so an alias bomb fails fast instead
// of exhausting memory.
const MaxAliasExpansion = 10

// InputError is a problem with the input ResourceList, with where it is.
type InputError struct {
	// Field is the path in the ResourceList, e.g. items[3].kind.
	Field string
	Msg   string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return e.Msg
	}
	return e.Field + ": " + e.Msg
}

func inputErr(field, format string, a ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// Parse reads a ResourceList, parsing it once, and checks its shape: one
// document, a map of kind ResourceList, items a list of Kubernetes objects
// that have apiVersion and kind. Each problem names the field.
func Parse(input []byte) (*fn.ResourceList, error) {
	input = bytes.TrimPrefix(input, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(input)) == 0 {
		return nil, inputErr("", "empty input; expected a ResourceList (kind: ResourceList) on stdin")
	}
	dec := yaml.NewDecoder(bytes.NewReader(input))
	doc := &yaml.Node{}
	if err := dec.Decode(doc); err != nil {
		return nil, inputErr("", "not valid YAML: %v", err)
	}
	if err := dec.Decode(&yaml.Node{}); err == nil {
		return nil, inputErr("", "more than one YAML document; expected a single ResourceList")
	} else if !errors.Is(err, io.EOF) {
		return nil, inputErr("", "not valid YAML after the first document: %v", err)
	}
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, inputErr("", "expected a ResourceList (a map), got %s", describe(root))
	}
	if err := ExpandAliases(root); err != nil {
		return nil, err
	}
	fields, err := uniqueFields(root, "")
	if err != nil {
		return nil, err
	}
	if kind := scalar(fields["kind"]); kind != "ResourceList" {
		if kind == "" {
			return nil, inputErr("kind", "missing; expected a ResourceList")
		}
		return nil, inputErr("kind", "the input is a %s, not a ResourceList", kind)
	}
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject()}
	if fc := fields["functionConfig"]; fc != nil && !yamlnode.IsNull(fc) {
		if fc.Kind != yaml.MappingNode {
			return nil, inputErr("functionConfig", "must be a map, not %s", describe(fc))
		}
		rl.FunctionConfig = fn.MoveToKubeObject(yaml.NewRNode(fc))
	}
	if items := fields["items"]; items != nil && !yamlnode.IsNull(items) {
		if items.Kind != yaml.SequenceNode {
			return nil, inputErr("items", "must be a list of resources, not %s", describe(items))
		}
		for i, item := range items.Content {
			if err := checkItem(item, fmt.Sprintf("items[%d]", i)); err != nil {
				return nil, err
			}
			rl.Items = append(rl.Items, fn.MoveToKubeObject(yaml.NewRNode(item)))
		}
	}
	if res := fields["results"]; res != nil && !yamlnode.IsNull(res) {
		if res.Kind == yaml.MappingNode { // older kyaml wrote results as a map with items
			if f, _ := uniqueFields(res, "results"); f != nil {
				res = f["items"]
			}
		}
		if res != nil {
			if err := res.Decode(&rl.Results); err != nil {
				return nil, inputErr("results", "cannot be read: %v", err)
			}
		}
	}
	return rl, nil
}

// checkItem checks what the function needs of every item: a map with
// apiVersion and kind, to tell workloads from the rest. A name is not
// needed: a Kustomization or a List has none, and passes through as it came.
func checkItem(item *yaml.Node, path string) error {
	if item.Kind != yaml.MappingNode {
		return inputErr(path, "must be a Kubernetes object (a map), not %s", describe(item))
	}
	fields, err := uniqueFields(item, path)
	if err != nil {
		return err
	}
	for _, f := range []string{"apiVersion", "kind"} {
		if scalar(fields[f]) == "" {
			return inputErr(path+"."+f, "missing or not a string%s; every resource needs apiVersion and kind", fileOf(fields["metadata"]))
		}
	}
	meta := fields["metadata"]
	if meta == nil || yamlnode.IsNull(meta) {
		return nil
	}
	if meta.Kind != yaml.MappingNode {
		return inputErr(path+".metadata", "must be a map, not %s, in %s %s", describe(meta), scalar(fields["kind"]), scalar(fields["apiVersion"]))
	}
	_, err = uniqueFields(meta, path+".metadata")
	return err
}

// fileOf names the file an item came from, from the path annotation kpt and
// kustomize set, for messages about an item that is not a valid object.
func fileOf(meta *yaml.Node) string {
	if meta == nil || meta.Kind != yaml.MappingNode {
		return ""
	}
	annotations := yamlnode.Value(meta, "annotations")
	if annotations == nil || annotations.Kind != yaml.MappingNode {
		return ""
	}
	for _, key := range []string{kioutil.PathAnnotation, kioutil.LegacyPathAnnotation} {
		if p := scalar(yamlnode.Value(annotations, key)); p != "" {
			return " (in file " + p + ")"
		}
	}
	return ""
}

// uniqueFields maps the keys of a map node to their values, and rejects a
// key given twice: YAML readers disagree on which one wins.
func uniqueFields(m *yaml.Node, path string) (map[string]*yaml.Node, error) {
	if repeated := yamlnode.RepeatedKeys(m); len(repeated) > 0 {
		return nil, inputErr(strings.TrimPrefix(path+"."+repeated[0].Value, "."), yamlnode.RepeatedKeyMessage)
	}
	out := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		out[m.Content[i].Value] = m.Content[i+1]
	}
	return out, nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || yamlnode.IsNull(n) {
		return ""
	}
	return n.Value
}

func describe(n *yaml.Node) string {
	switch {
	case yamlnode.IsNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		return fmt.Sprintf("the scalar %.40q", n.Value)
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a map"
	case n.Kind == yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

// ExpandAliases replaces every alias with a copy of its anchor's value, as
// kpt and kustomize do before they call a function, so that each item can
// be written on its own. The expansion is measured before it is made, and
// one that would exceed MaxAliasExpansion times the input is an error.
func ExpandAliases(root *yaml.Node) error {
	nodes, hasAlias := 0, false
	var count func(*yaml.Node)
	count = func(n *yaml.Node) {
		nodes++
		if n.Kind == yaml.AliasNode {
			hasAlias = true
		}
		for _, c := range n.Content {
			count(c)
		}
	}
	count(root)
	if !hasAlias {
		return nil
	}
	limit := MaxAliasExpansion * nodes
	sizes := map[*yaml.Node]int{}
	var size func(*yaml.Node) int
	size = func(n *yaml.Node) int {
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if s, ok := sizes[n]; ok {
			return s
		}
		s := 1
		for _, c := range n.Content {
			s += size(c)
			if s > limit {
				break
			}
		}
		sizes[n] = s
		return s
	}
	if size(root) > limit {
		return inputErr("", "YAML aliases expand to more than %d times the input's size; refusing an alias bomb", MaxAliasExpansion)
	}
	rn := yaml.NewRNode(root)
	return rn.DeAnchor()
}
