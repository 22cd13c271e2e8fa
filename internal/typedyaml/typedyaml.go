package typedyaml

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Decode reads a YAML node into a typed value through JSON, because the API
// types (corev1.Toleration, ...) only have json tags.
func Decode(node *yaml.Node, out any) error {
	var generic any
	if err := node.Decode(&generic); err != nil {
		return err
	}
	data, err := json.Marshal(generic)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// Encode turns a typed value into a block-style YAML node whose fields keep
// the order of the Go struct (key, operator, value, effect for a toleration),
// which is the order people write them in.
func Encode(v any) (*yaml.Node, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// JSON is YAML, and parsing it keeps the key order that json.Marshal wrote.
	rn, err := yaml.Parse(string(data))
	if err != nil {
		return nil, fmt.Errorf("re-reading %T as YAML: %w", v, err)
	}
	node := rn.YNode()
	clearStyle(node)
	return node, nil
}

// clearStyle drops the flow and quoting style that came from JSON, so the
// encoder writes block YAML and quotes only strings that need it.
func clearStyle(n *yaml.Node) {
	n.Style = 0
	quoteForYAML11(n)
	for _, c := range n.Content {
		clearStyle(c)
	}
}

// quoteForYAML11 double-quotes a string that YAML 1.1 readers (kubectl,
// sigs.k8s.io/yaml) would take for a bool or number, such as yes, on or 0x1.
// The YAML 1.2 encoder would write it bare.
func quoteForYAML11(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == yaml.NodeTagString && yaml.IsYaml1_1NonString(n) {
		n.Style = yaml.DoubleQuotedStyle
	}
}

// String returns a string scalar node, quoted where YAML 1.1 readers need it.
func String(value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: value}
	quoteForYAML11(n)
	return n
}
