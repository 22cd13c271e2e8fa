package krmio

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// resultNode builds a result's YAML node directly, in the field order the
// SDK writes (alphabetical, except resourceRef's name, namespace,
// apiVersion, kind, which kyaml orders first), where the SDK encodes each
// result to text and parses it back. The krmio tests compare the two byte
// for byte.
// A result with a current or proposed value, which can hold any value, is
// left to the SDK: ok is false.
func resultNode(r *fn.Result) (node *yaml.Node, ok bool) {
	if r.Field != nil && (r.Field.CurrentValue != nil || r.Field.ProposedValue != nil) {
		return nil, false
	}
	m := mapNode()
	if f := r.Field; f != nil && f.Path != "" {
		field := mapNode()
		addString(field, "path", f.Path)
		addField(m, "field", field)
	}
	if f := r.File; f != nil && (f.Path != "" || f.Index != 0) {
		file := mapNode()
		if f.Index != 0 {
			addField(file, "index", &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagInt, Value: strconv.Itoa(f.Index)})
		}
		if f.Path != "" {
			addString(file, "path", f.Path)
		}
		addField(m, "file", file)
	}
	if r.Message != "" {
		addString(m, "message", r.Message)
	}
	if ref := r.ResourceRef; ref != nil {
		refNode := mapNode()
		for _, kv := range [][2]string{{"name", ref.Name}, {"namespace", ref.Namespace}, {"apiVersion", ref.APIVersion}, {"kind", ref.Kind}} {
			if kv[1] != "" {
				addString(refNode, kv[0], kv[1])
			}
		}
		addField(m, "resourceRef", refNode)
	}
	if r.Severity != "" {
		addString(m, "severity", string(r.Severity))
	}
	if len(r.Tags) > 0 {
		tags := mapNode()
		keys := make([]string, 0, len(r.Tags))
		for k := range r.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			addString(tags, k, r.Tags[k])
		}
		addField(m, "tags", tags)
	}
	return m, true
}

func mapNode() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap} }

func addField(m *yaml.Node, key string, value *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, value)
}

func addString(m *yaml.Node, key, value string) {
	m.Content = append(m.Content, stringNode(key), stringNode(value))
}

// stringNode is a string as the YAML encoder writes a Go string: it also
// double-quotes what YAML 1.1 reads as a bool or a base-60 number, where a
// string node only gets quoted when YAML 1.2 would read it as something else.
// typedyaml.String quotes by what a YAML 1.1 parser reads instead, which is
// safer for the nodes the function adds but would not give the SDK's bytes.
func stringNode(value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: value}
	if !strings.Contains(value, "\n") && (yaml1_1Bools[value] || isBase60Float(value)) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

var yaml1_1Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"n": true, "N": true, "no": true, "No": true, "NO": true, "off": true, "Off": true, "OFF": true,
}

// isBase60Float reports a YAML 1.1 sexagesimal number, e.g. 1:30. Like the
// YAML encoder, it looks at the first byte and for a colon before it runs
// the regular expression, which is compiled on first use.
func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	if c := s[0]; !(c == '+' || c == '-' || c >= '0' && c <= '9') || !strings.Contains(s, ":") {
		return false
	}
	return base60Float().MatchString(s)
}

var base60Float = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)
})
