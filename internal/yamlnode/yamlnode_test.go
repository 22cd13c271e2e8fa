package yamlnode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func parse(t *testing.T, s string) *yaml.Node {
	t.Helper()
	rn, err := yaml.Parse(s)
	require.NoError(t, err)
	return rn.YNode()
}

func TestIsNull(t *testing.T) {
	m := parse(t, `a: null
b: ~
c:
d: 'null'
e: 0
f: {}
g: !!null ''
`)
	got := map[string]bool{}
	for i := 0; i < len(m.Content); i += 2 {
		got[m.Content[i].Value] = IsNull(m.Content[i+1])
	}
	assert.Equal(t, map[string]bool{"a": true, "b": true, "c": true, "d": false, "e": false, "f": false, "g": true}, got)
	assert.True(t, IsNull(&yaml.Node{Kind: yaml.ScalarNode, Value: "null"}), "a built node without a tag")
}

func TestRepeatedKeys(t *testing.T) {
	keys := func(nodes []*yaml.Node) []string {
		var out []string
		for _, n := range nodes {
			out = append(out, fmt.Sprintf("%s@%d", n.Value, n.Line))
		}
		return out
	}
	assert.Empty(t, RepeatedKeys(parse(t, `a: 1
b: 2
`)))
	assert.Empty(t, RepeatedKeys(parse(t, `- a
- a
`)), "a list has no keys")
	assert.Equal(t, []string{"a@3", "a@4"}, keys(RepeatedKeys(parse(t, `a: 1
b: 2
a: 3
a: 4
`))))

	// A long map takes the set; the answer is the same.
	var long strings.Builder
	for i := range 40 {
		fmt.Fprintf(&long, "k%d: v\n", i)
	}
	long.WriteString("k7: again\n")
	assert.Equal(t, []string{"k7@41"}, keys(RepeatedKeys(parse(t, long.String()))))
}
