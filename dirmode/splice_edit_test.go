package dirmode

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
)

// decoded is what a YAML text means, read by the YAML library alone.
func decoded(t *testing.T, text string) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal([]byte(text), &v); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, text)
	}
	return v
}

func meaningOf(t *testing.T, n *yaml.Node) any {
	t.Helper()
	var v any
	if err := n.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// spliceEdit parses text, applies edit to the tree and splices the result.
func spliceEdit(t *testing.T, text string, edit func(root *yaml.Node)) (string, bool, any) {
	t.Helper()
	doc, err := parseDocument(text)
	if err != nil || doc == nil {
		t.Fatalf("parse: %v", err)
	}
	root := doc.YNode()
	edit(root)
	out, ok := splice(text, root, false)
	return out, ok, meaningOf(t, root)
}

func lookup(root *yaml.Node, path ...string) *yaml.Node {
	n := root
	for _, p := range path {
		var i int
		if _, err := fmt.Sscanf(p, "%d", &i); err == nil && n.Kind == yaml.SequenceNode {
			n = n.Content[i]
			continue
		}
		n = yamlnode.Value(n, p)
	}
	return n
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: s}
}

// TestSpliceEdits covers the edits the function does not make today but a
// processor may (an updated node pool): changed values, removed and moved
// keys, values of another kind. Each is written in place, or its smallest
// entry again, and read back it is the edited tree.
func TestSpliceEdits(t *testing.T) {
	const text = `apiVersion: v1
kind: Thing
metadata:
  name: a   # the name
spec:
  replicas: 1

  list:
  - name: x
    value: "1"
  - name: y
  script: |
    echo hi
    # not a comment
  flow: {a: 1, b: [x, 'y''s']}
  # the end
`
	cases := []struct {
		name string
		edit func(root *yaml.Node)
		// removed is how many lines may change.
		removed int
		// contains is text the result must hold.
		contains string
	}{
		{"scalar changed", func(r *yaml.Node) { lookup(r, "spec", "replicas").Value = "3" }, 1, ""},
		{"quoted scalar in a flow list changed", func(r *yaml.Node) { lookup(r, "spec", "flow", "b", "1").Value = "z" }, 1, ""},
		{"key added first", func(r *yaml.Node) {
			s := lookup(r, "spec")
			s.Content = append([]*yaml.Node{str("first"), str("v")}, s.Content...)
		}, 0, ""},
		{"key added first in a list entry", func(r *yaml.Node) {
			e := lookup(r, "spec", "list", "1")
			e.Content = append([]*yaml.Node{str("first"), str("v")}, e.Content...)
		}, 1, ""},
		{"key added after a block scalar", func(r *yaml.Node) {
			s := lookup(r, "spec")
			s.Content = append(s.Content[:6], append([]*yaml.Node{str("after"), str("script")}, s.Content[6:]...)...)
		}, 0, `    # not a comment
  after: script
  flow:`},
		{"key added last", func(r *yaml.Node) {
			s := lookup(r, "spec")
			s.Content = append(s.Content, str("last"), str("v"))
		}, 0, `  flow: {a: 1, b: [x, 'y''s']}
  last: v
  # the end
`},
		{"key removed", func(r *yaml.Node) {
			e := lookup(r, "spec", "list", "0")
			e.Content = e.Content[:2]
		}, 4, ""},
		{"keys moved", func(r *yaml.Node) {
			m := lookup(r, "metadata")
			m.Content = append(m.Content, str("z"), str("1"))
			m.Content[0], m.Content[2] = m.Content[2], m.Content[0]
			m.Content[1], m.Content[3] = m.Content[3], m.Content[1]
		}, 3, ""},
		{"value of another kind", func(r *yaml.Node) {
			s := lookup(r, "spec")
			s.Content[1] = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{str("min"), str("1")}}
		}, 1, ""},
		{"list entry removed", func(r *yaml.Node) {
			l := lookup(r, "spec", "list")
			l.Content = l.Content[:1]
		}, 6, ""},
		{"flow map extended", func(r *yaml.Node) {
			f := lookup(r, "spec", "flow")
			f.Content = append(f.Content, str("c"), str("a, b"))
		}, 1, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, ok, want := spliceEdit(t, text, tc.edit)
			if !ok {
				t.Fatal("not spliced")
			}
			if got := decoded(t, out); !reflect.DeepEqual(got, want) {
				t.Fatalf("read back:\n%v\nwant\n%v\n%s", got, want, out)
			}
			if !strings.Contains(out, tc.contains) {
				t.Errorf("the result lacks %q:\n%s", tc.contains, out)
			}
			if removed, _ := lineChanges(text, out); removed > tc.removed {
				t.Errorf("%d lines changed, want at most %d:\n%s", removed, tc.removed, out)
			}
			for _, c := range []string{"# the name", "# the end", "# not a comment"} {
				if strings.Count(out, c) != 1 {
					t.Errorf("%q is not there once:\n%s", c, out)
				}
			}
		})
	}
}

// TestSpliceRandomEditsOnCorpus makes random additions (a key to a map, an
// entry to a list) and changes (a string value) to every document of the
// real-world corpus, and holds each spliced text to the edited tree, read
// back by the YAML library. Additions, which is what the function makes,
// must always splice.
func TestSpliceRandomEditsOnCorpus(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/manifests/*.yaml")
	rng := rand.New(rand.NewPCG(1, 2))
	var docs, spliced, additions, additionsSpliced int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range splitDocuments(data) {
			if !hasContent(c.text) {
				continue
			}
			for round := 0; round < 3; round++ {
				kind := rng.IntN(3)
				out, ok, want := spliceEdit(t, c.text, func(root *yaml.Node) {
					var maps, lists, scalars []*yaml.Node
					var walk func(n *yaml.Node)
					walk = func(n *yaml.Node) {
						switch n.Kind {
						case yaml.MappingNode:
							maps = append(maps, n)
							for i := 1; i < len(n.Content); i += 2 {
								walk(n.Content[i])
							}
						case yaml.SequenceNode:
							lists = append(lists, n)
							for _, e := range n.Content {
								walk(e)
							}
						case yaml.ScalarNode:
							if n.ShortTag() == yaml.NodeTagString && !strings.Contains(n.Value, "\n") {
								scalars = append(scalars, n)
							}
						}
					}
					walk(root)
					switch {
					case kind == 0:
						m := maps[rng.IntN(len(maps))]
						m.Content = append(m.Content, str("addedKey"), &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap,
							Content: []*yaml.Node{str("values"), {Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{str("a"), str("true")}}}})
					case kind == 1 && len(lists) > 0:
						l := lists[rng.IntN(len(lists))]
						l.Content = append(l.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{str("key"), str("added: value")}})
					default:
						kind = 2
						if len(scalars) > 0 {
							scalars[rng.IntN(len(scalars))].Value = "changed value"
						}
					}
				})
				docs++
				if kind < 2 {
					additions++
				}
				if !ok {
					continue
				}
				spliced++
				if kind < 2 {
					additionsSpliced++
				}
				if got := decoded(t, out); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: the spliced text does not read back as the edited tree:\n%s", f, out)
				}
			}
		}
	}
	t.Logf("%d of %d edited documents spliced; %d of %d additions", spliced, docs, additionsSpliced, additions)
	if additionsSpliced != additions {
		t.Errorf("%d additions were not spliced", additions-additionsSpliced)
	}
}

// FuzzSplice edits arbitrary documents (a key added to one map, an entry to
// one list, chosen by pick) and holds every splice to the edited tree.
// Splicing must never panic, whatever the text.
func FuzzSplice(f *testing.F) {
	f.Add(`a: 1
b:
- x
`, uint8(0))
	f.Add("{a: [1, {b: c}], 'd': \"e\"}\n", uint8(3))
	f.Add(`a: |
  # x
b: - c
`, uint8(1))
	f.Add("\ufeffa:\r\n  - b: c\r\n    d: e\r\n", uint8(2))
	f.Add(`x: &a {b: 1}
y: *a
`, uint8(5))
	f.Fuzz(func(t *testing.T, text string, pick uint8) {
		doc, err := parseDocument(text)
		var original any
		if err != nil || doc == nil || yaml.Unmarshal([]byte(text), &original) != nil {
			return // not a document the oracle can read (a key given twice, say)
		}
		root := doc.YNode()
		var containers []*yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
				containers = append(containers, n)
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(root)
		if len(containers) == 0 {
			return
		}
		c := containers[int(pick)%len(containers)]
		if c.Kind == yaml.MappingNode {
			if _, ok := keyIndex(c); !ok {
				return
			}
			c.Content = append(c.Content, str("addedKey"), &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: []*yaml.Node{str("v")}})
		} else {
			c.Content = append(c.Content, &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{str("k"), str("v")}})
		}
		out, ok := splice(text, root, false)
		if !ok {
			return
		}
		var got any
		if err := yaml.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("spliced text does not parse: %v\n%s", err, out)
		}
		if want := meaningOf(t, root); !reflect.DeepEqual(got, want) {
			t.Fatalf("spliced text reads back as\n%v\nwant\n%v\n%s", got, want, out)
		}
	})
}
