package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// decodeWithJSON is how Kubernetes decodes an object strictly: YAML to
// JSON, then sigs.k8s.io/json, which reports unknown fields and wrong
// types. It is the oracle for the decoder, which reads the same configs
// field by field so that it can report every problem and word them in YAML.
// ok is false when the input cannot even be turned into JSON.
func decodeWithJSON(n *yaml.Node) (w *WorkloadIsolation, strictErrs []error, err error, ok bool) {
	var generic any
	if err := n.Decode(&generic); err != nil {
		return nil, nil, err, true // a duplicate key: go-yaml refuses it
	}
	data, err := json.Marshal(generic)
	if err != nil {
		return nil, nil, nil, false
	}
	w = &WorkloadIsolation{}
	strictErrs, err = sigsjson.UnmarshalStrict(data, w)
	return w, strictErrs, err, true
}

// decodeAgreesWithJSON checks the decoder against the oracle: it decodes a
// config without a problem exactly when the JSON path does, and then to a
// deeply equal value.
func decodeAgreesWithJSON(t *testing.T, name string, n *yaml.Node) {
	t.Helper()
	// A date differs on purpose: the JSON path rewrites 2001-12-14 as
	// 2001-12-14T00:00:00Z, the decoder keeps what the user wrote.
	if hasTag(n, "!!timestamp") {
		return
	}
	want, strictErrs, jsonErr, ok := decodeWithJSON(n)
	if !ok {
		return
	}
	d := &decoder{lines: map[string]int{}, failed: map[string]bool{}, at: map[*field.Error]int{}}
	got := &WorkloadIsolation{}
	d.decode(n, reflect.ValueOf(got).Elem(), nil)
	jsonFine := jsonErr == nil && len(strictErrs) == 0
	switch {
	case jsonFine && len(d.errs) > 0:
		t.Errorf("%s: the JSON path decodes it, the decoder says %v", name, d.errs)
	case !jsonFine && len(d.errs) == 0:
		t.Errorf("%s: the decoder accepts it, the JSON path says %v %v", name, jsonErr, strictErrs)
	case jsonFine && !reflect.DeepEqual(got, want):
		t.Errorf("%s:\ndecoder %#v\nJSON    %#v", name, got, want)
	}
}

func hasTag(n *yaml.Node, tag string) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == tag {
		return true
	}
	for _, c := range n.Content {
		if hasTag(c, tag) {
			return true
		}
	}
	return false
}

func configFiles(t testing.TB) []string {
	var files []string
	for _, pattern := range []string{"../testdata/golden/*/_fnconfig.yaml", "../testdata/corpus/isolation.yaml", "../examples/*/*.yaml", "../examples/*/*/*.yaml"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "kind: WorkloadIsolation") {
			out = append(out, f)
		}
	}
	return out
}

// TestDecoderAgreesWithJSON runs the oracle on every config in the
// repository and on inputs where a lax decoder would differ.
func TestDecoderAgreesWithJSON(t *testing.T) {
	files := configFiles(t)
	if len(files) < 20 {
		t.Fatalf("found only %d configs", len(files))
	}
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, doc := range strings.Split(string(data), "\n---\n") {
			if !strings.Contains(doc, "kind: WorkloadIsolation") {
				continue
			}
			rn, err := yaml.Parse(doc)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			decodeAgreesWithJSON(t, f, rn.YNode())
		}
	}
	const base = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata: {name: x}
spec:
  nodePool: {name: p, taints: [{key: a, value: %s, effect: NoSchedule}], labels: {a: b}}
  selectors: [{}]
%s`
	for _, tc := range []struct{ value, extra, why string }{
		{"1", "", "a number for a string"},
		{"true", "", "a bool for a string"},
		{"null", "", "an explicit null"},
		{`""`, "", "an explicit empty value"},
		{"[b]", "", "a list for a string"},
		{"b", "  typo: \"\"\n", "an unknown field with an empty value"},
		{"b", "  Selectors: [{}]\n", "a field name in another case"},
		{"b", "  placement: {preferredWeight: 0x10}\n", "an integer not in decimal"},
		{"b", "  placement: {preferredWeight: 50.0}\n", "a float without a fraction for an integer"},
		{"b", "  placement: {preferredWeight: 50.5}\n", "a fraction for an integer"},
		{"b", "  placement: {preferredWeight: 99999999999}\n", "an integer too large for 32 bits"},
		{"b", "  placement: {nodeSelector: True}\n", "a bool not spelt the encoder's way"},
		{"b", "  placement: {nodeSelector: yes}\n", "a YAML 1.1 bool"},
		{"b", "  excludes: []\n", "an explicit empty list"},
		{"b", "  excludes: {}\n", "a map for a list"},
		{"b", "  audit: {<<: {preferNoSchedule: off}}\n", "a merge key"},
		{"b", "  audit: {acknowledge: [{kind: DaemonSet, reason: cni}]}\n", "an acknowledgement with the selector inline"},
		{"b", "  audit: {acknowledge: [{kind: DaemonSet, reson: cni}]}\n", "a misspelt field in an acknowledgement"},
	} {
		rn, err := yaml.Parse(strings.Replace(strings.Replace(base, "%s", tc.value, 1), "%s", tc.extra, 1))
		if err != nil {
			t.Fatalf("%s: %v", tc.why, err)
		}
		decodeAgreesWithJSON(t, tc.why, rn.YNode())
	}
}

// TestDecoderCoversConfigTypes walks every type the config holds: each
// field must be of a kind the decoder reads, so a new field of another kind
// fails here and not in a user's run.
func TestDecoderCoversConfigTypes(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, at string) {
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice:
			walk(typ.Elem(), at+"[]")
		case reflect.Map:
			if typ.Key().Kind() != reflect.String {
				t.Errorf("%s: a map with %s keys", at, typ.Key())
			}
			walk(typ.Elem(), at+"[key]")
		case reflect.Struct:
			if seen[typ] {
				return
			}
			seen[typ] = true
			for i := 0; i < typ.NumField(); i++ {
				// The decoder skips unexported fields, as JSON does.
				if f := typ.Field(i); f.IsExported() {
					walk(f.Type, at+"."+f.Name)
				}
			}
		case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64:
		default:
			t.Errorf("%s: the decoder does not read a %s", at, typ.Kind())
		}
	}
	walk(reflect.TypeOf(WorkloadIsolation{}), "WorkloadIsolation")
	if len(seen) < 15 {
		t.Errorf("walked only %d types", len(seen))
	}
}
