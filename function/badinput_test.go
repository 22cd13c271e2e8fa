package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

const header = `apiVersion: config.kubernetes.io/v1
kind: ResourceList
`

const config = `functionConfig:
  apiVersion: fn.kpt.dev/v1alpha1
  kind: WorkloadIsolation
  metadata:
    name: untrusted
  spec:
    nodePool:
      name: untrusted-pool
      taints:
      - {key: workloadType, value: untrusted, effect: NoExecute}
      labels: {workloadType: untrusted}
    selectors:
    - kind: Deployment
`

// deployment is a selected workload whose pod spec is podSpec, indented to
// sit under spec.template.spec of an item.
func deployment(name, podSpec string) string {
	return `- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: ` + name + `
    namespace: team-a
  spec:
    template:
      spec:
` + indent(podSpec, "        ")
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}

const containers = `containers:
- {name: app, image: nginx}
`

const service = `- apiVersion: v1
  kind: Service
  metadata:
    name: web
  spec:
    ports: [{port: 80}]
`

func list(items ...string) string { return header + config + "items:\n" + strings.Join(items, "") }

type badCase struct {
	name  string
	input string
	env   map[string]string
	// want is in an error result's message or field (or on stderr).
	want []string
	// exit 0 means the input is fine and must be processed.
	exit int
}

func badCases() []badCase {
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for i := 0; i < 8; i++ {
		name := fmt.Sprintf("b%d", i)
		bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	deep := `- apiVersion: v1
  kind: ConfigMap
  metadata: {name: deep}
  data: ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + "\n"
	huge := `- apiVersion: v1
  kind: ConfigMap
  metadata: {name: huge}
  data:
    blob: ` + strings.Repeat("x", 8<<20) + "\n"
	return []badCase{
		// The document itself.
		{name: "empty-stdin", input: "", want: []string{"empty input"}, exit: 1},
		{name: "whitespace-only", input: "\n  \n", want: []string{"empty input"}, exit: 1},
		{name: "malformed-yaml-indent", input: header + `items:
- a: 1
 b: 2
`, want: []string{"not valid YAML"}, exit: 1},
		{name: "malformed-yaml-unclosed-flow", input: header + "items: [{a: 1}\n", want: []string{"not valid YAML"}, exit: 1},
		{name: "malformed-yaml-tab", input: header + "items:\n\t- a\n", want: []string{"not valid YAML"}, exit: 1},
		{name: "not-a-resourcelist", input: `apiVersion: apps/v1
kind: Deployment
metadata: {name: x}
`, want: []string{"kind", "Deployment, not a ResourceList"}, exit: 1},
		{name: "no-kind", input: "items: []\n", want: []string{"kind", "missing"}, exit: 1},
		{name: "scalar-document", input: "hello\n", want: []string{"got the scalar"}, exit: 1},
		{name: "list-document", input: `- a
- b
`, want: []string{"got a list"}, exit: 1},
		{name: "two-documents", input: list(service) + "---\n" + list(service), want: []string{"more than one YAML document"}, exit: 1},
		{name: "duplicate-functionconfig", input: list(service) + config, want: []string{"functionConfig", "given twice"}, exit: 1},
		{name: "duplicate-items", input: list(service) + "items: []\n", want: []string{"items", "given twice"}, exit: 1},
		{name: "functionconfig-a-list", input: header + `functionConfig: [a]
items: []
`, want: []string{"functionConfig", "must be a map"}, exit: 1},
		{name: "non-utf8", input: list(`- apiVersion: v1
  kind: ConfigMap
  metadata: {name: ` + "\xff\xfe" + `}
`), want: []string{"not valid YAML"}, exit: 1},
		{name: "too-deep", input: list(deep), want: []string{"not valid YAML", "depth"}, exit: 1},
		{name: "alias-bomb", input: list(`- apiVersion: v1
  kind: ConfigMap
  metadata: {name: bomb}
  data:
` + indent(bomb, "    ")), want: []string{"alias bomb"}, exit: 1},
		{name: "input-over-byte-limit", input: list(service), env: map[string]string{krmio.EnvMaxInputBytes: "100"}, want: []string{"larger than 100 bytes", krmio.EnvMaxInputBytes}, exit: 1},
		{name: "input-over-resource-limit", input: list(service, service), env: map[string]string{krmio.EnvMaxResources: "1"}, want: []string{"more than 1", krmio.EnvMaxResources}, exit: 1},
		{name: "bad-limit-setting", input: list(service), env: map[string]string{krmio.EnvMaxResources: "many"}, want: []string{krmio.EnvMaxResources}, exit: 2},

		// items.
		{name: "items-a-map", input: header + config + "items: {a: 1}\n", want: []string{"items", "must be a list"}, exit: 1},
		{name: "items-a-scalar", input: header + config + "items: lots\n", want: []string{"items", "must be a list"}, exit: 1},
		{name: "item-null", input: list(service, "- null\n"), want: []string{"items[1]", "not null"}, exit: 1},
		{name: "item-a-scalar", input: list("- just text\n"), want: []string{"items[0]", "scalar"}, exit: 1},
		{name: "item-a-list", input: list("- [a, b]\n"), want: []string{"items[0]", "a list"}, exit: 1},
		{name: "item-without-apiversion", input: list(`- kind: Service
  metadata: {name: s}
`), want: []string{"items[0].apiVersion", "missing"}, exit: 1},
		{name: "item-without-kind", input: list(`- apiVersion: v1
  metadata: {name: s}
`), want: []string{"items[0].kind", "missing"}, exit: 1},
		{name: "item-metadata-a-list", input: list(service, `- apiVersion: v1
  kind: Service
  metadata: [a]
`), want: []string{"items[1].metadata", "must be a map"}, exit: 1},
		{name: "item-without-kind-names-its-file", input: list(`- apiVersion: v1
  metadata: {annotations: {internal.config.kubernetes.io/path: base/svc.yaml}}
`), want: []string{"items[0].kind", "base/svc.yaml"}, exit: 1},
		// What the function does not change passes through as it came, name or not.
		{name: "item-without-metadata", input: list(service, `- apiVersion: v1
  kind: Service
`), exit: 0},
		{name: "item-without-name", input: list(`- apiVersion: v1
  kind: Service
  metadata: {namespace: a}
`), exit: 0},
		{name: "kustomization-beside-workloads", input: list(`- apiVersion: kustomize.config.k8s.io/v1beta1
  kind: Kustomization
  resources: [d.yaml]
`, deployment("web", containers)), want: []string{"isolated 1 of 1"}, exit: 0},
		{name: "nameless-list-beside-workloads", input: list(`- apiVersion: v1
  kind: ConfigMapList
  items: []
`, deployment("web", containers)), want: []string{"isolated 1 of 1"}, exit: 0},
		{name: "item-kind-a-map", input: list(`- apiVersion: v1
  kind: {a: b}
  metadata: {name: s}
`), want: []string{"items[0].kind"}, exit: 1},
		{name: "item-duplicate-kind", input: list(`- apiVersion: v1
  kind: Service
  kind: Pod
  metadata: {name: s}
`), want: []string{"items[0].kind", "given twice"}, exit: 1},

		// Wrong types at each path the function touches, in a selected workload.
		{name: "pod-spec-a-list", input: list(`- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    template:
      spec: [a]
`), want: []string{"Deployment", "spec.template.spec", "pod spec"}, exit: 1},
		{name: "template-a-scalar", input: list(`- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec:
    template: nothing
`), want: []string{"spec.template.spec"}, exit: 1},
		{name: "no-pod-spec", input: list(`- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web}
  spec: {replicas: 1}
`), want: []string{"spec.template.spec", "needs a pod spec"}, exit: 1},
		{name: "tolerations-a-map", input: list(deployment("web", "tolerations: {key: a}\n"+containers)), want: []string{"spec.template.spec.tolerations", "must be a list, not a map"}, exit: 1},
		{name: "tolerations-a-scalar", input: list(deployment("web", "tolerations: all\n"+containers)), want: []string{"spec.template.spec.tolerations", "not a scalar"}, exit: 1},
		{name: "toleration-a-scalar", input: list(deployment("web", "tolerations: [everything]\n"+containers)), want: []string{"spec.template.spec.tolerations[0]", "must be a map"}, exit: 1},
		{name: "toleration-wrong-field-type", input: list(deployment("web", "tolerations: [{key: a, tolerationSeconds: soon}]\n"+containers)), want: []string{"spec.template.spec.tolerations", "cannot be read"}, exit: 1},
		{name: "affinity-a-string", input: list(deployment("web", "affinity: nodes-in-zone-a\n"+containers)), want: []string{"spec.template.spec.affinity", "must be a map"}, exit: 1},
		{name: "node-selector-terms-a-map", input: list(deployment("web", `affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms: {matchExpressions: []}
`+containers)), want: []string{"nodeSelectorTerms", "must be a list, not a map"}, exit: 1},
		{name: "term-a-scalar", input: list(deployment("web", `affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms: [zone-a]
`+containers)), want: []string{"nodeSelectorTerms[0]", "must be a map"}, exit: 1},
		{name: "match-expressions-a-map", input: list(deployment("web", `affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
      - matchExpressions: {key: a}
`+containers)), want: []string{"nodeSelectorTerms[0].matchExpressions", "must be a list"}, exit: 1},
		{name: "preferred-a-map", input: list(deployment("web", `affinity:
  nodeAffinity:
    preferredDuringSchedulingIgnoredDuringExecution: {weight: 1}
`+containers)), want: []string{"preferredDuringSchedulingIgnoredDuringExecution", "must be a list"}, exit: 1},
		{name: "node-selector-a-list", input: list(deployment("web", "nodeSelector: [a]\n"+containers)), want: []string{"spec.template.spec.nodeSelector", "must be a map"}, exit: 1},
		{name: "duplicate-tolerations-key", input: list(deployment("web", `tolerations: []
tolerations: []
`+containers)), want: []string{"spec.template.spec.tolerations", "given twice"}, exit: 1},
		{name: "duplicate-affinity-key", input: list(deployment("web", `affinity: {}
affinity: {}
`+containers)), want: []string{"spec.template.spec.affinity", "given twice"}, exit: 1},
		{name: "alias-in-tolerations-is-expanded", input: list(deployment("web", "tolerations: &t [{key: a, operator: Exists}]\n"+containers), deployment("api", "tolerations: *t\n"+containers)), exit: 0},

		// The config.
		{name: "no-config", input: header + "items: []\n", want: []string{"no functionConfig"}, exit: 1},
		{name: "config-unknown-field", input: strings.Replace(list(service), "    selectors:", "    selector:", 1), want: []string{"spec.selector", "unknown field"}, exit: 1},
		{name: "config-duplicate-key", input: strings.Replace(list(service), "    selectors:", `    nodePool: {}
    selectors:`, 1), want: []string{"spec.nodePool", "the key is given twice"}, exit: 1},
		{name: "config-selects-nothing", input: list(service), want: []string{"no workload matched"}, exit: 0},

		// Encodings that are fine.
		{name: "bom", input: "\xef\xbb\xbf" + list(deployment("web", containers)), exit: 0},
		{name: "crlf", input: strings.ReplaceAll(list(deployment("web", containers)), "\n", "\r\n"), exit: 0},
		{name: "huge-scalar", input: list(huge, deployment("web", containers)), exit: 0},
	}
}

// TestBadInput runs the binary's own entry point on each input and checks
// the exit status, that the message names the field, and that stdout is
// either a ResourceList with only results or the whole, unchanged items.
func TestBadInput(t *testing.T) {
	cases := badCases()
	if len(cases) < 40 {
		t.Fatalf("the suite has %d cases; keep at least 40", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := func(k string) string { return tc.env[k] }
			code := run(nil, getenv, strings.NewReader(tc.input), &stdout, &stderr)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d\nstderr: %s\nstdout: %.2000s", code, tc.exit, stderr.String(), stdout.String())
			}
			if code == 2 {
				for _, w := range tc.want {
					if !strings.Contains(stderr.String(), w) {
						t.Errorf("stderr %q does not name %q", stderr.String(), w)
					}
				}
				return
			}
			out, err := fn.ParseResourceList(stdout.Bytes())
			if err != nil {
				t.Fatalf("stdout is not a ResourceList: %v\n%.2000s", err, stdout.String())
			}
			var messages []string
			hasError := false
			for _, r := range out.Results {
				text := r.Message
				if r.Field != nil {
					text = r.Field.Path + ": " + text
				}
				if r.ResourceRef != nil {
					text = r.ResourceRef.Kind + "/" + r.ResourceRef.Name + " " + text
				}
				messages = append(messages, text)
				hasError = hasError || r.Severity == fn.Error
			}
			all := strings.Join(messages, "\n") + "\n" + stderr.String()
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no message names %q:\n%s", w, all)
				}
			}
			if !strings.Contains(stdout.String(), "\nitems:") {
				t.Errorf("stdout has no items key; kpt would hide the results:\n%s", stdout.String())
			}
			if tc.exit == 0 {
				assertUnselectedUnchanged(t, tc.input, out)
				return
			}
			if !hasError {
				t.Errorf("failed without an error result:\n%s", all)
			}
			// No partial output: no items, or all of them unchanged.
			if len(out.Items) > 0 {
				in, err := krmio.Parse([]byte(tc.input))
				if err != nil {
					t.Fatalf("items came out of an input that does not parse: %v", err)
				}
				if len(in.Items) != len(out.Items) {
					t.Fatalf("%d items in, %d out", len(in.Items), len(out.Items))
				}
				for i := range in.Items {
					if in.Items[i].String() != out.Items[i].String() {
						t.Errorf("item %d changed in a failed run:\n%s", i, out.Items[i].String())
					}
				}
			}
		})
	}
}

// assertUnselectedUnchanged checks that every item that is not a Deployment
// (the only kind the test config selects) comes out exactly as it came in,
// in the same place.
func assertUnselectedUnchanged(t *testing.T, input string, out *fn.ResourceList) {
	t.Helper()
	in, err := krmio.Parse([]byte(input))
	if err != nil {
		t.Fatalf("a successful run of an input that does not parse: %v", err)
	}
	if len(out.Items) < len(in.Items) {
		t.Fatalf("%d items in, %d out", len(in.Items), len(out.Items))
	}
	for i, item := range in.Items {
		if item.GetKind() != "Deployment" && item.String() != out.Items[i].String() {
			t.Errorf("item %d changed:\n--- in\n%s\n--- out\n%s", i, item.String(), out.Items[i].String())
		}
	}
}
