package yamlnode

import "sigs.k8s.io/kustomize/kyaml/yaml"

// IsNull reports a null scalar: null, ~, or nothing after a key. A field
// set to null reads as absent, as in JSON.
func IsNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == yaml.NodeTagNull
}

// Value is the value of key in the map node m; nil when the key is absent or
// m is not a map. The first of two equal keys wins, as RepeatedKeys'
// callers have rejected the second.
func Value(m *yaml.Node, key string) *yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// RepeatedKeyMessage says why a key given twice is an error.
const RepeatedKeyMessage = "the key is given twice; a map holds one value per key, and YAML readers disagree on which one wins"

// RepeatedKeys returns the keys of a map node that repeat an earlier key,
// in order; nil for a node that is not a map. YAML readers disagree on
// which of two equal keys wins, so an edit to one could be lost to the
// other: every reader here rejects them.
func RepeatedKeys(m *yaml.Node) []*yaml.Node {
	if m.Kind != yaml.MappingNode {
		return nil
	}
	var out []*yaml.Node
	// Most maps are small: comparing with the keys before is cheaper than a
	// set, which only pays for long maps.
	var seen map[string]bool
	if len(m.Content) > 32 {
		seen = make(map[string]bool, len(m.Content)/2)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		key := m.Content[i]
		if seen != nil {
			if seen[key.Value] {
				out = append(out, key)
			}
			seen[key.Value] = true
			continue
		}
		for j := 0; j < i; j += 2 {
			if m.Content[j].Value == key.Value {
				out = append(out, key)
				break
			}
		}
	}
	return out
}
