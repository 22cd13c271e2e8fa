package krmio

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// sameAsSDK checks Write against the SDK's own ToYAML, the oracle for the
// output format.
func sameAsSDK(t *testing.T, name string, input []byte) {
	t.Helper()
	a, err := fn.ParseResourceList(input)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	b, _ := fn.ParseResourceList(input)
	b.Sort() // Write keeps the order; ToYAML sorts.
	want, err := a.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Items) == 0 { // Write always has the items key, which kpt needs.
		want = bytes.Replace(want, []byte(header), []byte(header+"items: []\n"), 1)
	}
	var got bytes.Buffer
	if err := Write(&got, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s: Write differs from ToYAML\n--- ToYAML\n%s\n--- Write\n%s", name, want, got.Bytes())
	}
}

func TestWriteMatchesSDKOnGoldenOutputs(t *testing.T) {
	files, err := filepath.Glob("../../testdata/golden/*/_expected.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden outputs: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameAsSDK(t, f, data)
	}
}

// TestWriteMatchesSDKOnCorpus wraps every real-world manifest (comments,
// block scalars, flow style) in a ResourceList.
func TestWriteMatchesSDKOnCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/corpus/manifests/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		objs, err := fn.ParseKubeObjects(data)
		if err != nil {
			continue // documents kyaml's reader would expand first; covered by the transformer tests
		}
		rl := &fn.ResourceList{Items: objs, FunctionConfig: fn.NewEmptyKubeObject()}
		in, err := rl.ToYAML()
		if err != nil {
			t.Fatal(err)
		}
		sameAsSDK(t, f, in)
	}
}

func TestWriteMatchesSDKOnGeneratedInput(t *testing.T) {
	out, err := exec.Command("go", "run", "../../bench/gen", "-n", "500", "-seed", "7").Output()
	if err != nil {
		t.Fatal(err)
	}
	sameAsSDK(t, "generated", out)
}

func TestWriteEdgeCases(t *testing.T) {
	cases := map[string]string{
		"empty":       header,
		"empty-items": header + "items: []\n",
		"flow-item": header + `items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}
`,
		"block-scalars": header + `items:
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: x
  data:
    a: |2
        indented first line
      less
    b: >-
      folded

      text
    c: "multi\nline"
`,
		"comments": header + `items:
# head
- apiVersion: v1 # line
  kind: ConfigMap
  metadata:
    name: x
  # foot
`,
		"results-only": header + `results:
- message: hi
  severity: info
`,
		"function-config": header + `functionConfig:
  apiVersion: v1
  kind: ConfigMap
  data:
    k: v
`,
		"nested-sequences": header + `items:
- apiVersion: v1
  kind: List
  items:
  - - a
    - b
  - []
`,
	}
	for name, in := range cases {
		sameAsSDK(t, name, []byte(in))
	}
}

func TestWriteHeadComments(t *testing.T) {
	sameAsSDK(t, "fc-head", []byte(header+`functionConfig:
  # about the config
  apiVersion: v1
  kind: ConfigMap
`))
	sameAsSDK(t, "two-items-heads", []byte(header+`items:
# one
- apiVersion: v1
  kind: A
  metadata: {name: a}
# two

# more
- apiVersion: v1
  kind: B
  metadata: {name: b}
`))
}

func TestWriteManyResults(t *testing.T) {
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject()}
	for i := 0; i < 1000; i++ {
		rl.Results = append(rl.Results, &fn.Result{Message: "m", Severity: fn.Info, ResourceRef: &fn.ResourceRef{Kind: "K", Name: string(rune('a' + i%26))}, Field: &fn.Field{Path: "spec"}, Tags: map[string]string{"check": "x"}})
	}
	in, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	sameAsSDK(t, "many-results", in)
}

// TestWriteKeepsOrder: a Namespace written before the Deployment that
// needs it stays first, and so does any other input order.
func TestWriteKeepsOrder(t *testing.T) {
	in := header + `items:
- {apiVersion: v1, kind: Namespace, metadata: {name: z}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: b, namespace: z}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: a, namespace: z}}
`
	rl, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Write(&out, rl); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	ns, b, a := strings.Index(got, "kind: Namespace"), strings.Index(got, "name: b"), strings.Index(got, "name: a")
	if !(ns < b && b < a) {
		t.Errorf("order changed:\n%s", got)
	}
}

// TestWriteEmptyItems: kpt needs the items key even when there are none.
func TestWriteEmptyItems(t *testing.T) {
	var out bytes.Buffer
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject(), Results: fn.Results{fn.ErrorResult(fmt.Errorf("boom"))}}
	if err := Write(&out, rl); err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
items: []
results:
- message: boom
  severity: error
`
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

// TestWriteBatchBoundaries puts comments and flow style on items that fall
// at the start of a batch.
func TestWriteBatchBoundaries(t *testing.T) {
	var in bytes.Buffer
	in.WriteString(header + "items:\n")
	for i := 0; i < 3*batchSize+5; i++ {
		if i%3 == 0 {
			fmt.Fprintf(&in, "# item %d\n", i)
		}
		fmt.Fprintf(&in, `- apiVersion: v1
  kind: ConfigMap
  metadata: {name: cm-%04d} # line
  data:
    k: |
      text %d
`, i, i)
	}
	in.WriteString(`results:
- message: done
  severity: info
`)
	sameAsSDK(t, "batches", in.Bytes())
}

// TestResultsMatchSDK writes results with awkward text the way the SDK does.
func TestResultsMatchSDK(t *testing.T) {
	messages := []string{"plain", "with: colon", "'quoted'", `"double"`, "yes", "123", "multi\nline", " leading space", "trailing ", "- dash", "# hash", "ünïcode", "{flow}", "a: b\nc: d", "", "null", "~", "@at", "`tick`", "very " + strings.Repeat("long ", 40)}
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject()}
	for i, m := range messages {
		r := &fn.Result{Message: m, Severity: fn.Severity([]string{"error", "warning", "info", ""}[i%4])}
		if i%2 == 0 {
			r.ResourceRef = &fn.ResourceRef{APIVersion: "apps/v1", Kind: "Deployment", Name: m, Namespace: "ns"}
			r.Field = &fn.Field{Path: "spec.template.spec[" + m + "]"}
		}
		if i%3 == 0 {
			r.File = &fn.File{Path: "dir/" + m + ".yaml", Index: i % 2}
			r.Tags = map[string]string{"check": m, "b": "yes", "a": "1"}
		}
		rl.Results = append(rl.Results, r)
	}
	for _, v := range []string{"n", "Y", "off", "1:30", "-2:05.5", "+1:30", "x1:30", "1:30:00", "12:345", "1:", "1_000", "0x1F", "1e3", ".5", "true", "NULL"} {
		rl.Results = append(rl.Results, &fn.Result{Message: v, Severity: fn.Info, Tags: map[string]string{v: v}})
	}
	in, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	sameAsSDK(t, "awkward-results", in)

	// A current or proposed value can be anything: those results are left to the SDK.
	rl.Results = append(rl.Results, &fn.Result{Message: "with values", Field: &fn.Field{Path: "p", CurrentValue: map[string]any{"a": 1}, ProposedValue: []any{"x"}}})
	if in, err = rl.ToYAML(); err != nil {
		t.Fatal(err)
	}
	sameAsSDK(t, "results-with-values", in)
}
