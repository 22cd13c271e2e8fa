package podyaml

import (
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/testcorpus"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// decoders pairs each Reader method with the type the JSON path decodes
// into, so every check below runs on all of them.
var decoders = []struct {
	name string
	fast func(*Reader, *yaml.Node) any
	json func(*yaml.Node) (any, error)
}{
	{"tolerations", func(r *Reader, n *yaml.Node) any { return r.Tolerations(n) }, jsonDecoder[[]corev1.Toleration]},
	{"affinity", func(r *Reader, n *yaml.Node) any { return Ptr(r, n, r.Affinity) }, jsonDecoder[*corev1.Affinity]},
	{"nodeSelector", func(r *Reader, n *yaml.Node) any { return r.StringMap(n) }, jsonDecoder[map[string]string]},
	{"preferredTerms", func(r *Reader, n *yaml.Node) any { return List(r, n, r.PreferredSchedulingTerm) }, jsonDecoder[[]corev1.PreferredSchedulingTerm]},
}

func jsonDecoder[T any](n *yaml.Node) (any, error) {
	var v T
	err := typedyaml.Decode(n, &v)
	return v, err
}

// agree checks the contract: whenever the Reader decodes a node, the JSON
// path decodes it too, to a deeply equal value. It reports whether the
// Reader decoded it.
func agree(t *testing.T, name string, n *yaml.Node) bool {
	t.Helper()
	fastOK := false
	for _, d := range decoders {
		if d.name != name {
			continue
		}
		r := &Reader{}
		got := d.fast(r, n)
		if !r.OK() {
			return false
		}
		fastOK = true
		want, err := d.json(n)
		if err != nil {
			t.Errorf("%s: the Reader decoded %s, which the JSON path rejects: %v", name, show(n), err)
			return true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %s\nReader: %#v\nJSON:   %#v", name, show(n), got, want)
		}
	}
	return fastOK
}

func show(n *yaml.Node) string {
	s, _ := yaml.NewRNode(n).String()
	return strings.TrimSpace(s)
}

func parse(t testing.TB, text string) *yaml.Node {
	t.Helper()
	rn, err := yaml.Parse(text)
	if err != nil {
		t.Fatalf("%q: %v", text, err)
	}
	return rn.YNode()
}

func TestReaderDecodesCommonShapesLikeJSON(t *testing.T) {
	for _, tc := range []struct{ name, yaml string }{
		{"tolerations", "[{key: a, operator: Equal, value: b, effect: NoSchedule}, {operator: Exists}]"},
		{"tolerations", `- key: a
  operator: Exists
  effect: NoExecute
  tolerationSeconds: 30
`},
		{"tolerations", "[{key: a, tolerationSeconds: 0x1F}, {key: b, tolerationSeconds: -5}, {key: c, tolerationSeconds: null}]"},
		{"tolerations", "[{key: a, value: \"true\"}, {key: b, value: '1'}, {key: c, value: null}, {key: d, value: \"\"}]"},
		{"tolerations", "[]"},
		{"tolerations", "null"},
		{"tolerations", "[null, {}]"},
		{"affinity", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: z, operator: In, values: [a, b]}]}]}}}"},
		{"affinity", "{nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 10, preference: {matchFields: [{key: metadata.name, operator: NotIn, values: []}]}}]}}"},
		{"affinity", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: []}, preferredDuringSchedulingIgnoredDuringExecution: null}}"},
		{"affinity", "{nodeAffinity: {}}"},
		{"affinity", "{nodeAffinity: null}"},
		{"affinity", "{}"},
		{"affinity", "null"},
		{"nodeSelector", "{kubernetes.io/os: linux, 'a': 'yes', b: \"\"}"},
		{"nodeSelector", "{}"},
		{"preferredTerms", "[{weight: 100, preference: {}}, {weight: 1}, {preference: null}]"},
	} {
		if !agree(t, tc.name, parse(t, tc.yaml)) {
			t.Errorf("%s: the Reader gave up on a common shape: %s", tc.name, tc.yaml)
		}
	}
}

// TestReaderGivesUpOnTheUnusual lists what the Reader leaves to the JSON
// path: each of these decodes differently, or fails, there.
func TestReaderGivesUpOnTheUnusual(t *testing.T) {
	for _, tc := range []struct{ name, yaml, why string }{
		{"tolerations", "[{Key: a}]", "the JSON decoder matches keys case-insensitively"},
		{"tolerations", "[{key: a, typo: b}]", "an unknown key"},
		{"tolerations", "[{key: a, key: b}]", "a duplicate key"},
		{"tolerations", "[{key: a, value: 1}]", "a number for a string"},
		{"tolerations", "[{key: a, value: true}]", "a bool for a string"},
		{"tolerations", "[{key: a, value: 2001-12-14}]", "a timestamp, which the JSON path turns into RFC 3339"},
		{"tolerations", "[{key: a, tolerationSeconds: soon}]", "a string for a number"},
		{"tolerations", "[{key: a, tolerationSeconds: 30.0}]", "a float for an integer"},
		{"tolerations", "[{key: a, tolerationSeconds: 99999999999999999999}]", "an integer out of range"},
		{"tolerations", "[{key: !custom a}]", "a custom tag"},
		{"tolerations", "[{<<: {key: a}}]", "a merge key"},
		{"tolerations", "{key: a}", "a map for a list"},
		{"tolerations", "[[a]]", "a list for a map"},
		{"affinity", "{podAntiAffinity: {}}", "pod affinity, which placement does not read"},
		{"affinity", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: z, operator: In, values: [1]}]}]}}}", "a number in values"},
		{"preferredTerms", "[{weight: 4294967296}]", "a weight beyond 32 bits"},
		{"nodeSelector", "{a: 1}", "a number for a string"},
		{"nodeSelector", "{1: a}", "a non-string key"},
	} {
		if agree(t, tc.name, parse(t, tc.yaml)) {
			t.Errorf("%s: %s: the Reader decoded it, but should leave %s to the JSON path", tc.name, tc.yaml, tc.why)
		}
	}
}

// TestReaderOnTheCorpus decodes the scheduling fields of every pod template
// in the real-world corpus and the golden inputs both ways.
func TestReaderOnTheCorpus(t *testing.T) {
	decoded, gaveUp := 0, 0
	for _, spec := range testcorpus.PodSpecs(t, "../..") {
		for _, fld := range []string{"tolerations", "affinity", "nodeSelector"} {
			v := spec.Field(fld)
			if v == nil {
				continue
			}
			if agree(t, fld, v.Value.YNode()) {
				decoded++
			} else {
				gaveUp++
			}
		}
	}
	t.Logf("decoded %d fields, left %d to the JSON path", decoded, gaveUp)
	if decoded < 30 || gaveUp > decoded/4 {
		t.Errorf("the Reader decoded %d fields and gave up on %d: it should handle nearly all real ones", decoded, gaveUp)
	}
}

// FuzzReaderMatchesJSON holds the Reader to its contract on any YAML.
func FuzzReaderMatchesJSON(f *testing.F) {
	for _, s := range []string{
		"[{key: a, operator: Equal, value: b, effect: NoSchedule, tolerationSeconds: 5}]",
		"{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: z, operator: In, values: [a]}]}]}}}",
		"{nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 1, preference: {matchFields: [{key: k, operator: Exists}]}}]}}",
		"{a: b, c: ''}",
		"[{weight: 0o17, preference: null}]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rn, err := yaml.Parse(text)
		if err != nil || rn == nil {
			return
		}
		for _, d := range decoders {
			agree(t, d.name, rn.YNode())
		}
	})
}

// TestEncoderMatchesJSONPath compares the Encoder with typedyaml.Encode on
// random values, including strings YAML 1.1 reads as bools or numbers.
func TestEncoderMatchesJSONPath(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	words := []string{"", "a", "untrusted", "yes", "on", "off", "n", "true", "null", "~", "0x1F", "012", "1e3", "1:20",
		".5", "+1", "example.com/team", "with space", "'q'", "\"dq\"", "#c", "- x", "a: b", "*", "&a", "{}", "é"}
	word := func() string { return words[rng.Intn(len(words))] }
	list := func() []string {
		if rng.Intn(4) == 0 {
			return nil
		}
		out := make([]string, rng.Intn(3))
		for i := range out {
			out[i] = word()
		}
		return out
	}
	reqs := func() []corev1.NodeSelectorRequirement {
		if rng.Intn(3) == 0 {
			return nil
		}
		out := make([]corev1.NodeSelectorRequirement, 1+rng.Intn(2))
		for i := range out {
			out[i] = corev1.NodeSelectorRequirement{Key: word(), Operator: corev1.NodeSelectorOperator(word()), Values: list()}
		}
		return out
	}
	enc := NewEncoder()
	check := func(v any, got *yaml.Node) {
		t.Helper()
		want, err := typedyaml.Encode(v)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := dump(got), dump(want); g != w {
			t.Errorf("%#v:\nEncoder: %s\nJSON:    %s", v, g, w)
		}
	}
	for i := 0; i < 500; i++ {
		tol := corev1.Toleration{Key: word(), Operator: corev1.TolerationOperator(word()), Value: word(), Effect: corev1.TaintEffect(word())}
		if rng.Intn(2) == 0 {
			s := rng.Int63n(1<<40) - 1<<39
			tol.TolerationSeconds = &s
		}
		check(tol, enc.Toleration(tol))
		req := corev1.NodeSelectorRequirement{Key: word(), Operator: corev1.NodeSelectorOperator(word()), Values: list()}
		check(req, enc.NodeSelectorRequirement(req))
		term := corev1.NodeSelectorTerm{MatchExpressions: reqs(), MatchFields: reqs()}
		check(term, enc.NodeSelectorTerm(term))
		pref := corev1.PreferredSchedulingTerm{Weight: rng.Int31n(201) - 100, Preference: term}
		check(pref, enc.PreferredSchedulingTerm(pref))
	}
}

// dump shows every property of a node tree that the YAML encoder uses.
func dump(n *yaml.Node) string {
	var b strings.Builder
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		fmt.Fprintf(&b, "(%d %s %q %d", n.Kind, n.Tag, n.Value, n.Style)
		for _, c := range n.Content {
			walk(c)
		}
		b.WriteString(")")
	}
	walk(n)
	text, _ := yaml.NewRNode(n).String()
	return b.String() + " " + text
}

// TestEncoderSharesEqualValues checks the memory contract: one node per
// distinct value, so thousands of pod specs share it.
func TestEncoderSharesEqualValues(t *testing.T) {
	enc := NewEncoder()
	tol := corev1.Toleration{Key: "workloadType", Operator: corev1.TolerationOpEqual, Value: "untrusted", Effect: corev1.TaintEffectNoExecute}
	if enc.Toleration(tol) != enc.Toleration(tol) {
		t.Error("equal tolerations got different nodes")
	}
	other := tol
	other.Effect = corev1.TaintEffectNoSchedule
	if enc.Toleration(tol) == enc.Toleration(other) {
		t.Error("different tolerations got the same node")
	}
	req := corev1.NodeSelectorRequirement{Key: "a", Operator: corev1.NodeSelectorOpIn, Values: []string{"b", "c"}}
	split := corev1.NodeSelectorRequirement{Key: "a", Operator: corev1.NodeSelectorOpIn, Values: []string{"b\x00c"}}
	if enc.NodeSelectorRequirement(req) == enc.NodeSelectorRequirement(split) {
		t.Error("requirements with different values got the same node")
	}
	term := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{req}}
	fieldsTerm := corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{req}}
	if enc.NodeSelectorTerm(term) != enc.NodeSelectorTerm(term) || enc.NodeSelectorTerm(term) == enc.NodeSelectorTerm(fieldsTerm) {
		t.Error("terms are not shared by value")
	}
}
