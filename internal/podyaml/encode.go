package podyaml

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// Encoder builds the nodes of the values placement appends, field by field
// in the order of the json tags and with their omitempty rules: the same
// nodes typedyaml.Encode makes through JSON, without the JSON. It remembers
// which strings need quotes for YAML 1.1 readers, because finding out runs
// a YAML 1.1 parser. Use one per run.
type Encoder struct {
	quoted map[string]bool
}

// NewEncoder returns an empty Encoder.
func NewEncoder() *Encoder { return &Encoder{quoted: map[string]bool{}} }

// String returns a string scalar, quoted where YAML 1.1 readers need it.
func (e *Encoder) String(s string) *yaml.Node {
	q, ok := e.quoted[s]
	if !ok {
		q = typedyaml.String(s).Style == yaml.DoubleQuotedStyle
		e.quoted[s] = q
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s}
	if q {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

func (e *Encoder) int(i int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.FormatInt(i, 10)}
}

// fields is a map node under construction.
type fields struct{ node *yaml.Node }

func newFields() fields {
	return fields{&yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}}
}

// add appends key: value. Keys are API field names, which never need quotes.
func (f fields) add(key string, value *yaml.Node) {
	f.node.Content = append(f.node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, value)
}

func (e *Encoder) addString(f fields, key, value string, omitEmpty bool) {
	if value != "" || !omitEmpty {
		f.add(key, e.String(value))
	}
}

// Toleration encodes a corev1.Toleration.
func (e *Encoder) Toleration(t corev1.Toleration) *yaml.Node {
	f := newFields()
	e.addString(f, "key", t.Key, true)
	e.addString(f, "operator", string(t.Operator), true)
	e.addString(f, "value", t.Value, true)
	e.addString(f, "effect", string(t.Effect), true)
	if t.TolerationSeconds != nil {
		f.add("tolerationSeconds", e.int(*t.TolerationSeconds))
	}
	return f.node
}

// NodeSelectorRequirement encodes a corev1.NodeSelectorRequirement.
func (e *Encoder) NodeSelectorRequirement(r corev1.NodeSelectorRequirement) *yaml.Node {
	f := newFields()
	e.addString(f, "key", r.Key, false)
	e.addString(f, "operator", string(r.Operator), false)
	if len(r.Values) > 0 {
		values := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		for _, v := range r.Values {
			values.Content = append(values.Content, e.String(v))
		}
		f.add("values", values)
	}
	return f.node
}

// NodeSelectorTerm encodes a corev1.NodeSelectorTerm.
func (e *Encoder) NodeSelectorTerm(t corev1.NodeSelectorTerm) *yaml.Node {
	f := newFields()
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
}

// PreferredSchedulingTerm encodes a corev1.PreferredSchedulingTerm.
func (e *Encoder) PreferredSchedulingTerm(p corev1.PreferredSchedulingTerm) *yaml.Node {
	f := newFields()
	f.add("weight", e.int(int64(p.Weight)))
	f.add("preference", e.NodeSelectorTerm(p.Preference))
	return f.node
}
