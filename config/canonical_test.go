package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// canonicalAgrees checks decodeCanonical's contract: whenever it decodes a
// config, the strict JSON path decodes it too, without errors, to a deeply
// equal value. It reports whether decodeCanonical decoded it.
func canonicalAgrees(t *testing.T, name string, n *yaml.Node) bool {
	t.Helper()
	got, ok := decodeCanonical(n)
	if !ok {
		return false
	}
	want, errs := decodeJSON(n)
	if len(errs) > 0 {
		t.Errorf("%s: decoded without JSON, but the JSON path says %v", name, errs)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ncanonical %#v\nJSON      %#v", name, got, want)
	}
	return true
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

func TestCanonicalDecodingAgreesWithJSON(t *testing.T) {
	files := configFiles(t)
	decoded := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for i, doc := range strings.Split(string(data), "\n---\n") {
			if !strings.Contains(doc, "kind: WorkloadIsolation") {
				continue
			}
			rn, err := yaml.Parse(doc)
			if err != nil {
				t.Fatalf("%s[%d]: %v", f, i, err)
			}
			if canonicalAgrees(t, f, rn.YNode()) {
				decoded++
			}
		}
	}
	t.Logf("%d of the configs in %d files took the canonical path", decoded, len(files))
	if len(files) < 20 || decoded < len(files)*2/3 {
		t.Errorf("only %d configs of %d files took the canonical path", decoded, len(files))
	}
}

// TestCanonicalDecodingLeavesTheRestToJSON lists inputs go-yaml would read
// differently from the JSON path, or accept where it fails.
func TestCanonicalDecodingLeavesTheRestToJSON(t *testing.T) {
	const base = "apiVersion: fn.kpt.dev/v1alpha1\nkind: WorkloadIsolation\nmetadata: {name: x}\nspec:\n  nodePool: {name: p, taints: [{key: a, value: %s, effect: NoSchedule}], labels: {a: b}}\n  selectors: [{}]\n%s"
	for _, tc := range []struct{ value, extra, why string }{
		{"1", "", "a number for a string"},
		{"true", "", "a bool for a string"},
		{"2001-12-14", "", "a timestamp, which the JSON path writes in RFC 3339"},
		{"null", "", "an explicit null"},
		{`""`, "", "an explicit empty value"},
		{"b", "  typo: \"\"\n", "an unknown field with an empty value"},
		{"b", "  Selectors: [{}]\n", "a field name in another case, which the JSON decoder matches"},
		{"b", "  placement: {preferredWeight: 0x10}\n", "an integer not in decimal"},
		{"b", "  placement: {preferredWeight: 50.0}\n", "a float for an integer"},
		{"b", "  placement: {preferredWeight: 50.5}\n", "a fraction for an integer"},
		{"b", "  placement: {nodeSelector: True}\n", "a bool not spelt the encoder's way"},
		{"b", "  excludes: []\n", "an explicit empty list"},
		{"b", "  selectors: [{}]\n", "a duplicate key"},
		{"b", "  audit: {<<: {preferNoSchedule: off}}\n", "a merge key"},
	} {
		rn, err := yaml.Parse(strings.Replace(strings.Replace(base, "%s", tc.value, 1), "%s", tc.extra, 1))
		if err != nil {
			t.Fatalf("%s: %v", tc.why, err)
		}
		if canonicalAgrees(t, tc.why, rn.YNode()) {
			t.Errorf("%s: decoded without JSON", tc.why)
		}
	}
}

// TestYAMLTagsMirrorJSONTags keeps the two tag sets of every config type in
// step: the canonical path reads the yaml tags, the JSON path the json tags.
func TestYAMLTagsMirrorJSONTags(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || !strings.HasPrefix(typ.PkgPath(), "github.com/isolate-workloads/") {
			return
		}
		seen[typ] = true
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			jsonTag, yamlTag := f.Tag.Get("json"), f.Tag.Get("yaml")
			if f.Type.Name() == "TypeMeta" {
				if yamlTag != "-" {
					t.Errorf("%s.%s: TypeMeta has only json tags, so the canonical path reads apiVersion and kind itself; tag it yaml:\"-\"", typ, f.Name)
				}
				continue
			}
			if jsonTag != yamlTag {
				t.Errorf("%s.%s: json tag %q, yaml tag %q", typ, f.Name, jsonTag, yamlTag)
			}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(WorkloadIsolation{}))
	if len(seen) < 15 {
		t.Errorf("walked only %d types", len(seen))
	}
}
