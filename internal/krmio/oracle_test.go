package krmio

import (
	"bytes"
	"reflect"
	"sort"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/internal/testcorpus"
)

// resultFields are the fields of fn.Result and its nested types that
// resultNode writes. An SDK upgrade that adds a field must fail here rather
// than have resultNode drop it silently.
var resultFields = map[reflect.Type][]string{
	reflect.TypeFor[fn.Result]():      {"Message", "Severity", "ResourceRef", "Field", "File", "Tags"},
	reflect.TypeFor[fn.ResourceRef](): {"APIVersion", "Kind", "Name", "Namespace"},
	reflect.TypeFor[fn.Field]():       {"Path", "CurrentValue", "ProposedValue"},
	reflect.TypeFor[fn.File]():        {"Path", "Index"},
}

func TestResultFieldsKnown(t *testing.T) {
	for typ, known := range resultFields {
		var got []string
		for f := range typ.Fields() {
			got = append(got, f.Name)
		}
		sort.Strings(got)
		want := append([]string(nil), known...)
		sort.Strings(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("fn.%s has fields %v; resultNode knows %v: teach it the new ones", typ.Name(), got, want)
		}
	}
}

// FuzzParseAndWriteMatchSDK keeps the reader and writer honest against the
// SDK they replace: whenever both parsers accept an input, they read the
// same items, functionConfig and results, and Write gives ToYAML's bytes
// (in input order, with the items key always present).
func FuzzParseAndWriteMatchSDK(f *testing.F) {
	testcorpus.AddSeeds(f, "../../testdata/golden/*/_expected.yaml")
	f.Add([]byte(header + `items:
- {apiVersion: v1, kind: A, metadata: {name: a}}
- apiVersion: v1
  kind: B
  metadata:
    name: b # c
`))
	f.Add([]byte(header + `results:
- message: m
  severity: warning
  tags: {check: x}
`))
	f.Fuzz(func(t *testing.T, input []byte) {
		// The SDK does not bound alias expansion (Parse does, and its own
		// tests cover it), so an alias can keep the SDK busy for minutes.
		if len(input) > 1<<16 || bytes.ContainsAny(input, "*&") {
			return
		}
		ours, err := Parse(input)
		if err != nil {
			return
		}
		sdk, err := fn.ParseResourceList(input)
		if err != nil {
			return // Parse is more lenient by design: nameless items pass through
		}
		if len(ours.Items) != len(sdk.Items) {
			t.Fatalf("%d items, the SDK read %d", len(ours.Items), len(sdk.Items))
		}
		for i := range ours.Items {
			if ours.Items[i].String() != sdk.Items[i].String() {
				t.Fatalf("item %d differs:\n%s\n--- SDK\n%s", i, ours.Items[i].String(), sdk.Items[i].String())
			}
		}
		if ours.FunctionConfig.String() != sdk.FunctionConfig.String() {
			t.Fatalf("functionConfig differs")
		}
		if !reflect.DeepEqual(ours.Results, sdk.Results) {
			t.Fatalf("results differ: %+v vs %+v", ours.Results, sdk.Results)
		}
		// The SDK writes in its own sorted order; give Write the same.
		sorted, _ := Parse(input)
		(&fn.ResourceList{Items: sorted.Items}).Sort()
		want, err := sdk.ToYAML()
		if err != nil {
			return
		}
		if len(sdk.Items) == 0 {
			want = bytes.Replace(want, []byte(header), []byte(header+"items: []\n"), 1)
		}
		var got bytes.Buffer
		if err := Write(&got, sorted); err != nil {
			t.Fatalf("Write failed where ToYAML did not: %v", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Fatalf("Write differs from ToYAML\n--- ToYAML\n%s\n--- Write\n%s", want, got.Bytes())
		}
	})
}
