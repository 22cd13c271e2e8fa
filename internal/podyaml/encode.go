package podyaml

import (
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// Encoder builds the nodes of the values placement appends, field by field
// in the order of the json tags and with their omitempty rules: the same
// nodes typedyaml.Encode makes through JSON, without the JSON. Use one per
// run.
//
// The same value gets the same node, because a run appends the same
// toleration and requirements to thousands of pod specs and a copy each
// would stay live until the output is written. The nodes are therefore
// read-only: append
// them, never edit them. (The encoder and kyaml's readers only read nodes;
// placement creates the lists it appends to.) It also remembers which
// strings need quotes for YAML 1.1 readers, because finding out runs a YAML
// 1.1 parser.
type Encoder struct {
	nodes map[string]*yaml.Node
}

// NewEncoder returns an empty Encoder.
func NewEncoder() *Encoder { return &Encoder{nodes: map[string]*yaml.Node{}} }

// shared returns the node cached under key, building it on first use.
func (e *Encoder) shared(key string, build func() *yaml.Node) *yaml.Node {
	if n, ok := e.nodes[key]; ok {
		return n
	}
	n := build()
	e.nodes[key] = n
	return n
}

// String returns a string scalar, quoted where YAML 1.1 readers need it.
func (e *Encoder) String(s string) *yaml.Node {
	return e.shared("s"+s, func() *yaml.Node { return typedyaml.String(s) })
}

func (e *Encoder) int(i int64) *yaml.Node {
	v := strconv.FormatInt(i, 10)
	return e.shared("i"+v, func() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: v} })
}

// key is a field name, which never needs quotes.
func (e *Encoder) key(name string) *yaml.Node {
	return e.shared("k"+name, func() *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: name} })
}

// fields is a map node under construction.
type fields struct {
	e    *Encoder
	node *yaml.Node
}

func (e *Encoder) newFields() fields {
	return fields{e, &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}}
}

func (f fields) add(key string, value *yaml.Node) {
	f.node.Content = append(f.node.Content, f.e.key(key), value)
}

func (f fields) addString(key, value string, omitEmpty bool) {
	if value != "" || !omitEmpty {
		f.add(key, f.e.String(value))
	}
}

// valueKey joins the parts of a value into a cache key; a NUL cannot occur
// in the YAML strings the parts come from.
func valueKey(kind string, parts ...string) string {
	return kind + "\x00" + strings.Join(parts, "\x00")
}

// Toleration encodes a corev1.Toleration.
func (e *Encoder) Toleration(t corev1.Toleration) *yaml.Node {
	seconds := "-"
	if t.TolerationSeconds != nil {
		seconds = strconv.FormatInt(*t.TolerationSeconds, 10)
	}
	return e.shared(valueKey("toleration", t.Key, string(t.Operator), t.Value, string(t.Effect), seconds), func() *yaml.Node {
		f := e.newFields()
		f.addString("key", t.Key, true)
		f.addString("operator", string(t.Operator), true)
		f.addString("value", t.Value, true)
		f.addString("effect", string(t.Effect), true)
		if t.TolerationSeconds != nil {
			f.add("tolerationSeconds", e.int(*t.TolerationSeconds))
		}
		return f.node
	})
}

// NodeSelectorRequirement encodes a corev1.NodeSelectorRequirement.
func (e *Encoder) NodeSelectorRequirement(r corev1.NodeSelectorRequirement) *yaml.Node {
	return e.shared(requirementKey(r), func() *yaml.Node {
		f := e.newFields()
		f.addString("key", r.Key, false)
		f.addString("operator", string(r.Operator), false)
		if len(r.Values) > 0 {
			values := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
			for _, v := range r.Values {
				values.Content = append(values.Content, e.String(v))
			}
			f.add("values", values)
		}
		return f.node
	})
}

func requirementKey(r corev1.NodeSelectorRequirement) string {
	return valueKey("requirement", append([]string{r.Key, string(r.Operator), strconv.Itoa(len(r.Values))}, r.Values...)...)
}

func termKey(t corev1.NodeSelectorTerm) string {
	parts := []string{strconv.Itoa(len(t.MatchExpressions))}
	for _, list := range [][]corev1.NodeSelectorRequirement{t.MatchExpressions, t.MatchFields} {
		for _, r := range list {
			parts = append(parts, requirementKey(r))
		}
	}
	return valueKey("term", parts...)
}

// NodeSelectorTerm encodes a corev1.NodeSelectorTerm.
func (e *Encoder) NodeSelectorTerm(t corev1.NodeSelectorTerm) *yaml.Node {
	return e.shared(termKey(t), func() *yaml.Node {
		f := e.newFields()
		for _, list := range []struct {
			key  string
			reqs []corev1.NodeSelectorRequirement
		}{{"matchExpressions", t.MatchExpressions}, {"matchFields", t.MatchFields}} {
			if len(list.reqs) > 0 {
				seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
				for _, r := range list.reqs {
					seq.Content = append(seq.Content, e.NodeSelectorRequirement(r))
				}
				f.add(list.key, seq)
			}
		}
		return f.node
	})
}

// PreferredSchedulingTerm encodes a corev1.PreferredSchedulingTerm.
func (e *Encoder) PreferredSchedulingTerm(p corev1.PreferredSchedulingTerm) *yaml.Node {
	return e.shared(valueKey("preferred", strconv.Itoa(int(p.Weight)), termKey(p.Preference)), func() *yaml.Node {
		f := e.newFields()
		f.add("weight", e.int(int64(p.Weight)))
		f.add("preference", e.NodeSelectorTerm(p.Preference))
		return f.node
	})
}
