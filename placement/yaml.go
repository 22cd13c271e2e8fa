package placement

import (
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/podyaml"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
)

// The pod spec fields placement reads and writes.
const (
	fieldTolerations  = "tolerations"
	fieldAffinity     = "affinity"
	fieldNodeSelector = "nodeSelector"
)

var requiredPath = []string{"nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"}
var preferredPath = []string{"nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"}

// Read decodes the scheduling fields of a pod spec. A field of the wrong
// shape is an error that names it: the function will not guess.
func Read(podSpec *yaml.RNode, path *field.Path) (Scheduling, field.ErrorList) {
	var s Scheduling
	errs := duplicates(podSpec.YNode(), path, fieldTolerations, fieldAffinity, fieldNodeSelector)
	if n := valueAt(podSpec.YNode(), fieldAffinity); n != nil {
		errs = append(errs, duplicates(n, path.Child(fieldAffinity), "nodeAffinity")...)
		if na := valueAt(n, "nodeAffinity"); na != nil {
			p := path.Child(fieldAffinity, "nodeAffinity")
			errs = append(errs, duplicates(na, p, requiredPath[1], preferredPath[1])...)
			if req := valueAt(na, requiredPath[1]); req != nil {
				errs = append(errs, duplicates(req, p.Child(requiredPath[1]), requiredPath[2])...)
			}
		}
	}
	if len(errs) > 0 {
		return s, errs
	}
	if n := value(podSpec, fieldTolerations); n != nil {
		p := path.Child(fieldTolerations)
		if err := expectKind(n, yaml.SequenceNode, p); err != nil {
			errs = append(errs, err)
		} else {
			for i, el := range n.Content {
				if err := expectKind(el, yaml.MappingNode, p.Index(i)); err != nil {
					errs = append(errs, err)
				}
			}
			if len(errs) == 0 {
				errs = append(errs, decodeWith(n, &s.Tolerations, p, (*podyaml.Reader).Tolerations)...)
			}
		}
	}
	if n := value(podSpec, fieldAffinity); n != nil {
		p := path.Child(fieldAffinity)
		if err := expectKind(n, yaml.MappingNode, p); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, checkAffinityShape(n, p)...)
			if len(errs) == 0 {
				errs = append(errs, decodeWith(n, &s.Affinity, p, func(r *podyaml.Reader, n *yaml.Node) *corev1.Affinity {
					return podyaml.Ptr(r, n, r.Affinity)
				})...)
			}
		}
	}
	if n := value(podSpec, fieldNodeSelector); n != nil {
		p := path.Child(fieldNodeSelector)
		if err := expectKind(n, yaml.MappingNode, p); err != nil {
			errs = append(errs, err)
		} else {
			errs = append(errs, decodeWith(n, &s.NodeSelector, p, (*podyaml.Reader).StringMap)...)
		}
	}
	return s, errs
}

// checkAffinityShape checks the lists placement appends to, so that an error
// names the exact field rather than a decoder's type name.
func checkAffinityShape(affinity *yaml.Node, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if terms := valueAt(affinity, requiredPath...); terms != nil {
		p := child(path, requiredPath)
		if err := expectKind(terms, yaml.SequenceNode, p); err != nil {
			return append(errs, err)
		}
		for i, term := range terms.Content {
			if err := expectKind(term, yaml.MappingNode, p.Index(i)); err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, duplicates(term, p.Index(i), "matchExpressions")...)
			if exprs := valueAt(term, "matchExpressions"); exprs != nil {
				if err := expectKind(exprs, yaml.SequenceNode, p.Index(i).Child("matchExpressions")); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if pref := valueAt(affinity, preferredPath...); pref != nil {
		if err := expectKind(pref, yaml.SequenceNode, child(path, preferredPath)); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

func child(path *field.Path, names []string) *field.Path {
	return path.Child(names[0], names[1:]...)
}

// duplicates reports a key given twice in a map, among the keys placement
// reads and writes: readers disagree on which one wins, so an edit to the
// first could be lost to the second.
func duplicates(m *yaml.Node, path *field.Path, keys ...string) field.ErrorList {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	var errs field.ErrorList
	for _, k := range yamlnode.RepeatedKeys(m) {
		if slices.Contains(keys, k.Value) {
			errs = append(errs, field.Invalid(path.Child(k.Value), field.OmitValueType{}, yamlnode.RepeatedKeyMessage))
		}
	}
	return errs
}

// decodeWith decodes n with the podyaml reader, and through JSON when the
// reader leaves it to that (unusual shapes, and every error message).
func decodeWith[T any](n *yaml.Node, out *T, path *field.Path, read func(*podyaml.Reader, *yaml.Node) T) field.ErrorList {
	r := &podyaml.Reader{}
	if v := read(r, n); r.OK() {
		*out = v
		return nil
	}
	if err := typedyaml.Decode(n, out); err != nil {
		return field.ErrorList{field.Invalid(path, field.OmitValueType{}, "cannot be read: "+err.Error())}
	}
	return nil
}

var kindNames = map[yaml.Kind]string{
	yaml.SequenceNode: "a list", yaml.MappingNode: "a map", yaml.ScalarNode: "a scalar",
	yaml.AliasNode: "an alias", yaml.DocumentNode: "a document",
}

func expectKind(n *yaml.Node, want yaml.Kind, path *field.Path) *field.Error {
	if n.Kind == want {
		return nil
	}
	return field.TypeInvalid(path, field.OmitValueType{}, fmt.Sprintf("must be %s, not %s", kindNames[want], kindNames[n.Kind]))
}

// value returns the value node of a field, or nil when the field is absent or null.
func value(parent *yaml.RNode, name string) *yaml.Node {
	return valueAt(parent.YNode(), name)
}

func valueAt(n *yaml.Node, names ...string) *yaml.Node {
	for _, name := range names {
		if n == nil {
			return nil
		}
		n = yamlnode.Value(n, name)
	}
	if n == nil || yamlnode.IsNull(n) {
		return nil
	}
	return n
}

// ApplyTo writes the plan into the pod spec node. Existing entries, their
// order and their comments stay as they are; the new ones are appended.
func (p Plan) ApplyTo(podSpec *yaml.RNode, enc *podyaml.Encoder) {
	spec := podSpec.YNode()
	if len(p.AddTolerations) > 0 {
		list := ensure(spec, yaml.SequenceNode, fieldTolerations)
		for _, t := range p.AddTolerations {
			list.Content = append(list.Content, enc.Toleration(t))
		}
	}
	if !p.Required.Empty() {
		terms := ensure(spec, yaml.SequenceNode, append([]string{fieldAffinity}, requiredPath...)...)
		if p.Required.NewTerm != nil {
			terms.Content = append(terms.Content, enc.NodeSelectorTerm(*p.Required.NewTerm))
		}
		for i, add := range p.Required.AddToTerm {
			if len(add) == 0 {
				continue
			}
			exprs := ensure(terms.Content[i], yaml.SequenceNode, "matchExpressions")
			for _, req := range add {
				exprs.Content = append(exprs.Content, enc.NodeSelectorRequirement(req))
			}
		}
	}
	if !p.Preferred.Empty() {
		list := ensure(spec, yaml.SequenceNode, append([]string{fieldAffinity}, preferredPath...)...)
		if p.Preferred.Add != nil {
			list.Content = append(list.Content, enc.PreferredSchedulingTerm(*p.Preferred.Add))
		}
		if p.Preferred.SetWeight != nil {
			weight := ensure(list.Content[p.Preferred.Index], yaml.ScalarNode, "weight")
			weight.Tag, weight.Value = yaml.NodeTagInt, fmt.Sprint(*p.Preferred.SetWeight)
		}
	}
	if len(p.AddNodeSelector) > 0 {
		ns := ensure(spec, yaml.MappingNode, fieldNodeSelector)
		for _, k := range slices.Sorted(maps.Keys(p.AddNodeSelector)) {
			ns.Content = append(ns.Content, enc.String(k), enc.String(p.AddNodeSelector[k]))
		}
	}
}

// ensure walks down the named fields, creating maps on the way and a node of
// the given kind at the end, and replacing a null value in place so that its
// key keeps its comments. Read has checked the shapes before.
func ensure(n *yaml.Node, kind yaml.Kind, names ...string) *yaml.Node {
	for i, name := range names {
		want := yaml.MappingNode
		if i == len(names)-1 {
			want = kind
		}
		var next *yaml.Node
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == name {
				next = n.Content[j+1]
				if yamlnode.IsNull(next) {
					*next = *newNode(want)
				}
				toBlockStyle(n.Content[j], next)
				break
			}
		}
		if next == nil {
			next = newNode(want)
			// Field names are plain identifiers: no YAML 1.1 quoting needed.
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: name}, next)
		}
		n = next
	}
	return n
}

// toBlockStyle turns a flow collection such as `tolerations: [] # why` into a
// block one, so appended entries get a line each. The comment moves to the key,
// where the encoder writes it on the same line as before.
func toBlockStyle(key, value *yaml.Node) {
	if value.Style&yaml.FlowStyle == 0 {
		return
	}
	value.Style &^= yaml.FlowStyle
	if value.LineComment != "" && key.LineComment == "" {
		key.LineComment, value.LineComment = value.LineComment, ""
	}
}

func newNode(kind yaml.Kind) *yaml.Node {
	switch kind {
	case yaml.SequenceNode:
		return &yaml.Node{Kind: kind, Tag: yaml.NodeTagSeq}
	case yaml.MappingNode:
		return &yaml.Node{Kind: kind, Tag: yaml.NodeTagMap}
	}
	return &yaml.Node{Kind: kind}
}
