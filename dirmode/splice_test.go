package dirmode

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/fsutil"
	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// isolateDeployments selects every Deployment.
const isolateDeployments = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: test
spec:
  nodePool:
    name: untrusted-pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoSchedule}
    labels: {workloadType: untrusted}
  selectors:
  - kind: Deployment
`

var nodeSelectorMode = strings.Replace(isolateDeployments, "  selectors:", `  placement:
    nodeSelector: true
  selectors:`, 1)

// withKarpenter gives a config's pool a Karpenter block, so that the run
// emits a NodePool object.
func withKarpenter(config string) string {
	return strings.Replace(config, "    labels: {workloadType: untrusted}\n", `    labels: {workloadType: untrusted}
    karpenter:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
`, 1)
}

// isolateEverything selects every workload, with the audit off so that the
// corpus's privileged agents do not stop the run.
const isolateEverything = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: everything
spec:
  nodePool:
    name: untrusted-pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoSchedule}
    labels: {workloadType: untrusted}
  selectors:
  - {}
  audit:
    privilegedTolerating: "off"
    wildcardTolerations: "off"
    privilegedOnSharedNodes: "off"
    preferNoSchedule: "off"
    noExecuteEviction: "off"
    managedComponentsPool: "off"
`

// readObjects reads a package's files as kyaml does, one list per file.
func readObjects(t *testing.T, dir string) map[string][]*yaml.RNode {
	t.Helper()
	files, _, err := packageFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]*yaml.RNode{}
	for _, rel := range files {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, DisableUnwrapping: true}).Read()
		if err != nil {
			t.Fatalf("%s does not read back: %v\n%s", rel, err, data)
		}
		out[rel] = nodes
	}
	return out
}

// meaning decodes a node into plain Go values: what it means, whatever its
// layout, with aliases resolved.
func meaning(t *testing.T, n *yaml.RNode) any {
	t.Helper()
	var v any
	if err := n.YNode().Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// runChecked runs directory mode over dir and holds the result to function
// mode, the oracle: read back with kyaml, every file holds exactly the
// objects the function returns for the objects it held. It returns the
// files' text before and after.
func runChecked(t *testing.T, dir, config string) (before, after map[string]string) {
	t.Helper()
	before = snapshot(t, dir)
	objects := readObjects(t, dir)
	files, _, _ := packageFiles(dir)
	rl := &fn.ResourceList{}
	cfg, err := fn.ParseKubeObject([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	rl.FunctionConfig = cfg
	for _, rel := range files {
		for _, n := range objects[rel] {
			rl.Items = append(rl.Items, fn.MoveToKubeObject(n))
		}
	}
	ok, err := transformer.Run(rl)
	if err != nil || !ok {
		t.Fatalf("function mode failed: %v %v", err, rl.Results)
	}
	if _, err := runOn(t, dir, config, Options{}); err != nil {
		t.Fatal(err)
	}
	got := readObjects(t, dir)
	i := 0
	for _, rel := range files {
		var texts []string
		for _, c := range splitDocuments([]byte(before[rel])) {
			if hasContent(c.text) {
				texts = append(texts, c.text)
			}
		}
		if len(got[rel]) != len(texts) {
			t.Fatalf("%s holds %d objects, had %d", rel, len(got[rel]), len(texts))
		}
		for j, n := range got[rel] {
			want := rl.Items[i].MoveToResourceNode()
			i++
			if !reflect.DeepEqual(meaning(t, n), meaning(t, want)) {
				t.Errorf("%s, object %d differs from function mode:\n%s\nwant\n%s", rel, j+1, n.MustString(), want.MustString())
			}
			// A changed document is edited in place, not encoded again.
			if !reflect.DeepEqual(decoded(t, texts[j]), meaning(t, want)) {
				if err := krmio.ExpandAliases(want.YNode()); err != nil {
					t.Fatal(err)
				}
				if _, ok := splice(texts[j], want.YNode(), isJSON(rel)); !ok {
					t.Errorf("%s, object %d was encoded again instead of edited in place", rel, j+1)
				}
			}
		}
	}
	return before, snapshot(t, dir)
}

// lineChanges counts the lines removed from a and added in b, as
// `git diff --numstat` does.
func lineChanges(a, b string) (removed, added int) {
	x, y := strings.SplitAfter(a, "\n"), strings.SplitAfter(b, "\n")
	for len(x) > 0 && len(y) > 0 && x[0] == y[0] {
		x, y = x[1:], y[1:]
	}
	for len(x) > 0 && len(y) > 0 && x[len(x)-1] == y[len(y)-1] {
		x, y = x[:len(x)-1], y[:len(y)-1]
	}
	prev, cur := make([]int, len(y)+1), make([]int, len(y)+1)
	for i := range x {
		for j := range y {
			if x[i] == y[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(cur[j], prev[j+1])
			}
		}
		prev, cur = cur, prev
	}
	common := prev[len(y)]
	return len(x) - common, len(y) - common
}

// TestMinimalDiffs isolates a Deployment written in the ways real
// manifests are, and holds each rewritten file to the function's output
// and to a diff that touches only the lines that carry the isolation.
// Encoding the document again, as directory mode did before, drops blank
// lines, re-indents lists, unfolds flow style and writes LF.
func TestMinimalDiffs(t *testing.T) {
	cases := []struct {
		name, file, text string
		config           string
		// removed is how many original lines may change; every case adds lines.
		removed int
		// check looks at the rewritten text.
		check func(t *testing.T, text string)
	}{
		{name: "blank lines", text: webHead + `      containers:
      - name: app
        image: nginx

      - name: proxy

        image: envoy

      restartPolicy: Always
`},
		{name: "mixed sequence indentation", text: webHead + `      containers:
        - name: app
          image: nginx
          args:
          - --port=80
      tolerations:
      - key: a
        operator: Exists
`,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, `      - key: a
        operator: Exists
      - key: workloadType
`) {
					t.Error("the toleration was not appended in the list's own (compact) style")
				}
			}},
		{name: "four-space indentation", text: `apiVersion: apps/v1
kind: Deployment
metadata:
    name: web
spec:
    template:
        spec:
            containers:
                - name: app
                  image: nginx
`,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "\n            affinity:\n                nodeAffinity:\n") {
					t.Error("the affinity is not indented by four spaces")
				}
			}},
		{name: "comments", text: "# The web app.\n" + webHead + `      containers: # one
      - name: app
        image: nginx
        # pinned later
      # end of pod spec
  # end of template
# end of document
`,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "        image: nginx\n      tolerations:\n") {
					t.Error("the new fields do not follow the last field of the pod spec")
				}
			}},
		{name: "CRLF", text: strings.ReplaceAll(webHead+`      containers:
      - name: app

        image: nginx
`, "\n", "\r\n"),
			check: func(t *testing.T, text string) {
				if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
					t.Error("a line ends in LF in a CRLF file")
				}
			}},
		{name: "flow style on one line", text: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {template: {spec: {containers: [{name: app, image: nginx}]}}}}\n", removed: 1,
			check: func(t *testing.T, text string) {
				if strings.Count(text, "\n") != 1 {
					t.Error("the one-line document is no longer one line")
				}
			}},
		{name: "flow style over lines", text: `{apiVersion: apps/v1, kind: Deployment,
  metadata: {name: web},
  spec: {template: {spec: {
    containers: [{name: app, image: nginx}]
  }}}}
`, removed: 1},
		{name: "JSON file", file: "web.json", text: `{
  "apiVersion": "apps/v1",
  "kind": "Deployment",
  "metadata": {
    "name": "web"
  },
  "spec": {
    "template": {
      "spec": {
        "containers": [
          {
            "name": "app",
            "image": "nginx"
          }
        ]
      }
    }
  }
}
`, removed: 1,
			check: func(t *testing.T, text string) {
				if !json.Valid([]byte(text)) {
					t.Error("the JSON file is no longer JSON")
				}
				if !strings.Contains(text, `        ],
        "tolerations": [
          {
            "key": "workloadType",
`) {
					t.Error("the tolerations are not laid out as the file's JSON is")
				}
			}},
		{name: "existing flow list", text: webDeployment + "      tolerations: [{key: a, operator: Exists}]  # why\n", removed: 1,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "      tolerations: [{key: a, operator: Exists}, {key: workloadType, operator: Equal, value: untrusted, effect: NoSchedule}]  # why\n") {
					t.Error("the flow list was not extended in place")
				}
			}},
		{name: "empty and null values", text: webDeployment + `      tolerations: []
      affinity:
      nodeSelector: {} # none
`, config: nodeSelectorMode, removed: 2,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "      tolerations:\n      - key: workloadType\n") || !strings.Contains(text, "      affinity:\n        nodeAffinity:\n") ||
					!strings.HasSuffix(text, "      nodeSelector: # none\n        workloadType: untrusted\n") {
					t.Error("the empty values did not become blocks in place, with the comment kept")
				}
			}},
		{name: "null value with a comment", text: webHead + `      tolerations: # none yet
      containers:
      - name: app
        image: nginx
`,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "      tolerations: # none yet\n      - key: workloadType\n") {
					t.Error("the list did not replace the empty value under its commented key")
				}
			}},
		{name: "existing terms", text: webDeployment + `      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: zone, operator: In, values: [a]}
              - matchFields:
                  - key: metadata.name
                    operator: In
                    values: [n1]
`},
		{name: "nodeSelector flow map", text: webHead + `      nodeSelector: {disktype: ssd}
      containers:
      - name: app
        image: nginx
`, config: nodeSelectorMode, removed: 1,
			check: func(t *testing.T, text string) {
				if !strings.Contains(text, "      nodeSelector: {disktype: ssd, workloadType: untrusted}\n") {
					t.Error("the flow map was not extended in place")
				}
			}},
		{name: "anchors", text: webHead + `      containers:
      - name: app
        image: nginx
        env: &env # shared
        - {name: A, value: "1"} # a
      - name: proxy
        image: envoy
        env: *env
`},
		{name: "last document without a line break", text: `apiVersion: v1
kind: ConfigMap
metadata:
  name: c
---
` + webHead + `      containers:
      - name: app
        image: nginx`, removed: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			name := tc.file
			if name == "" {
				name = "web.yaml"
			}
			if err := os.WriteFile(filepath.Join(dir, name), []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			config := tc.config
			if config == "" {
				config = isolateDeployments
			}
			before, after := runChecked(t, dir, config)
			removed, added := lineChanges(before[name], after[name])
			if added == 0 || removed != tc.removed {
				t.Errorf("%d lines removed and %d added, want %d removed:\n%s", removed, added, tc.removed, after[name])
			}
			if tc.check != nil {
				tc.check(t, after[name])
			}
			secondRunChangesNothing(t, dir, config, after)
		})
	}
}

// TestCorpusOnlyAddsLines isolates every workload of the real-world corpus
// (the manifests in ../testdata/corpus): every file matches function mode,
// and no original line is changed or lost.
func TestCorpusOnlyAddsLines(t *testing.T) {
	dir := copyCorpus(t)
	before, after := runChecked(t, dir, isolateEverything)
	total := 0
	for name, text := range before {
		removed, added := lineChanges(text, after[name])
		if removed != 0 {
			t.Errorf("%s: %d original lines changed", name, removed)
		}
		total += added
	}
	if total == 0 {
		t.Fatal("nothing was isolated")
	}
	t.Logf("%d lines added in %d files", total, len(before))
}

// TestGoldenInputs runs directory mode over the input of every golden case
// whose run succeeds, and holds the result to function mode.
func TestGoldenInputs(t *testing.T) {
	cases, _ := filepath.Glob("../testdata/golden/*/resources.yaml")
	ran := 0
	for _, resources := range cases {
		caseDir := filepath.Dir(resources)
		config, err := os.ReadFile(filepath.Join(caseDir, "_fnconfig.yaml"))
		if err != nil {
			continue
		}
		expected, _ := os.ReadFile(filepath.Join(caseDir, "_expected.yaml"))
		if strings.Contains(string(expected), "severity: error") {
			continue
		}
		t.Run(filepath.Base(caseDir), func(t *testing.T) {
			dir := t.TempDir()
			data, _ := os.ReadFile(resources)
			if err := os.WriteFile(filepath.Join(dir, "resources.yaml"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			runChecked(t, dir, string(config))
			ran++
		})
	}
	if ran < 20 {
		t.Errorf("only %d golden inputs ran", ran)
	}
}

// TestLayoutFixtures runs over testdata/layouts, one file per way of
// writing a manifest (also run against real kpt in e2e): each file matches
// function mode, and only the lines given here may change.
func TestLayoutFixtures(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layouts")
	if err := fsutil.CopyTree("testdata/layouts", dir); err != nil {
		t.Fatal(err)
	}
	config, err := os.ReadFile("testdata/isolate-workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Lines that change: a flow collection that gains an entry is one line;
	// in JSON, the line before a new entry gains a comma.
	mayChange := map[string]int{"flow.yaml": 2, "pretty.json": 1}
	before, after := runChecked(t, dir, string(config))
	for name, text := range before {
		if name == ".gitattributes" {
			continue
		}
		removed, added := lineChanges(text, after[name])
		if added == 0 || removed != mayChange[name] {
			t.Errorf("%s: %d lines changed and %d added, want %d changed:\n%s", name, removed, added, mayChange[name], after[name])
		}
	}
	secondRunChangesNothing(t, dir, string(config), after)
}
