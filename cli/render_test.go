package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// renderConfig is the config of dirmode's layout fixtures: it isolates
// every Deployment and DaemonSet onto untrusted-pool.
const renderConfig = "../dirmode/testdata/isolate-workloads.yaml"

// renderInput is what `helm template` prints: a leading separator, a
// "# Source" comment per document, a document the function leaves alone,
// a kubectl List export, and the comments people write.
const renderInput = `---
# Source: chart/templates/service.yaml
apiVersion: v1
kind: Service
metadata:
  name: web   # the front door
spec:
  ports: [{port: 80}]
---
# Source: chart/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      # the app
      containers:
      - name: app
        image: nginx
---
# kubectl get deploy -o yaml
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: listed
  spec:
    template:
      spec:
        containers: [{name: app, image: nginx}]
`

func render(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main("test", append([]string{"render"}, args...), IO{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

// TestRenderIsolatesLikeTheFunction: the stream's objects come out as the
// function mode's ResourceList items do, while the documents it leaves
// alone keep every byte and the changed ones keep their comments.
func TestRenderIsolatesLikeTheFunction(t *testing.T) {
	code, out, stderr := render(t, renderInput, "--config", renderConfig)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	docs := strings.Split(out, "---\n")
	if len(docs) != 4 || docs[0] != "" {
		t.Fatalf("want the leading separator and three documents, got:\n%s", out)
	}
	if want := strings.Split(renderInput, "---\n")[1]; docs[1] != want {
		t.Errorf("the Service changed:\n%s\nwant:\n%s", docs[1], want)
	}
	for _, want := range []string{"# Source: chart/templates/deployment.yaml\n", "      # the app\n", "# kubectl get deploy -o yaml\n", "kind: List\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the output lost %q:\n%s", want, out)
		}
	}

	// The oracle: function mode over the same objects.
	objs, err := fn.ParseKubeObjects([]byte(renderInput))
	if err != nil {
		t.Fatal(err)
	}
	cfgData, err := os.ReadFile(renderConfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := fn.ParseKubeObject(cfgData)
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{Items: objs, FunctionConfig: cfg}
	if ok, err := transformer.Run(rl); !ok || err != nil {
		t.Fatalf("function mode failed: %v %v", err, rl.Results)
	}
	got, err := fn.ParseKubeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rl.Items) {
		t.Fatalf("render wrote %d objects, function mode %d", len(got), len(rl.Items))
	}
	for i := range got {
		if g, w := plain(t, got[i]), plain(t, rl.Items[i]); g != w {
			t.Errorf("object %d differs from function mode:\n%s\nwant:\n%s", i, g, w)
		}
	}
	for _, want := range []string{"[info] apps/v1/Deployment/web", "[info] apps/v1/Deployment/listed"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	// A second pass changes nothing.
	code, again, stderr := render(t, out, "--config", renderConfig)
	if code != ExitOK || again != out {
		t.Errorf("second pass: exit %d, changed the stream:\n%s\n%s", code, again, stderr)
	}
}

// plain is an object as JSON, without comments or the reader's annotations.
func plain(t *testing.T, o *fn.KubeObject) string {
	t.Helper()
	c := o.Copy()
	for _, a := range []string{"config.kubernetes.io/index", "internal.config.kubernetes.io/index", "config.kubernetes.io/path", "internal.config.kubernetes.io/path", "internal.config.kubernetes.io/seqindent"} {
		if _, err := c.RemoveNestedField("metadata", "annotations", a); err != nil {
			t.Fatal(err)
		}
	}
	c.RemoveAnnotationsIfEmpty()
	data, err := yaml.YAMLToJSON([]byte(c.String()))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestRenderFilesInOrder(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.yaml"), filepath.Join(dir, "b.yaml")
	cm := `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
`
	if err := os.WriteFile(a, []byte(cm), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(strings.Replace(cm, "name: c", "name: d", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := render(t, webDeployment, "-f", b, "-f", "-", "--fn-config", renderConfig, "-f", a)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	objs, err := fn.ParseKubeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetName())
	}
	if got := strings.Join(names, " "); got != "d web c" {
		t.Errorf("objects %s, want the -f order: d web c\n%s", got, out)
	}
	if !strings.Contains(stderr, "stdin: [info] apps/v1/Deployment/web") {
		t.Errorf("the result does not name stdin:\n%s", stderr)
	}
}

// TestRenderErrorsWriteNothing: every failure leaves stdout empty; the
// function's failures exit 1, the command line's 2.
func TestRenderErrorsWriteNothing(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"invalid-config", webDeployment, []string{"--config", "../testdata/golden/invalid-config/_fnconfig.yaml"}, ExitFindings, "[error]"},
		{"not-yaml", webDeployment + "---\nkind: [\n", []string{"--config", renderConfig}, ExitFindings, "isolate-workloads render: stdin: document 2 cannot be read"},
		{"yaml-list", "- a\n", []string{"--config", renderConfig}, ExitFindings, "stdin: document 1 is a YAML list"},
		{"no-config", webDeployment, nil, ExitBadInput, "--config is required"},
		{"missing-file", webDeployment, []string{"--config", renderConfig, "-f", "nope.yaml"}, ExitBadInput, "nope.yaml: no such file"},
		{"stdin-twice", webDeployment, []string{"--config", renderConfig, "-f", "-", "-f", "-"}, ExitBadInput, "stdin can be read once"},
		{"bad-output", webDeployment, []string{"--config", renderConfig, "-o", "yaml"}, ExitBadInput, "-o/--output must be text, json"},
		{"argument", webDeployment, []string{"--config", renderConfig, "deploy.yaml"}, ExitBadInput, `unexpected argument "deploy.yaml"`},
	}
	for _, tc := range cases {
		code, out, stderr := render(t, tc.stdin, tc.args...)
		if code != tc.code || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d (want %d), stdout %q, stderr:\n%s\nwant it to name %q", tc.name, code, tc.code, out, stderr, tc.want)
		}
	}
}

func TestRenderResultsAsJSON(t *testing.T) {
	code, out, stderr := render(t, renderInput, "--config", renderConfig, "-o", "json")
	if code != ExitOK || out == "" {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	var results []struct {
		Message, Severity string
		ResourceRef       *struct{ Kind, Name string } `json:"resourceRef"`
	}
	if err := json.Unmarshal([]byte(stderr), &results); err != nil {
		t.Fatalf("stderr is not JSON: %v\n%s", err, stderr)
	}
	found := false
	for _, r := range results {
		if r.ResourceRef != nil && r.ResourceRef.Kind == "Deployment" && r.ResourceRef.Name == "web" && r.Severity == "info" {
			found = true
		}
	}
	if !found {
		t.Errorf("no info result for Deployment/web:\n%s", stderr)
	}
}

// TestRenderEmitsOnlyAppliableObjects: the emitted Karpenter NodePools are
// appended to the stream; the GKE on AWS requests, local config and no
// Kubernetes kind, are left out with a result, as kustomize leaves them out.
func TestRenderEmitsOnlyAppliableObjects(t *testing.T) {
	input, err := os.ReadFile("../testdata/golden/nodepool-emit-subset-and-system-pool/resources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := render(t, string(input), "--config", emitConfig)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	objs, err := fn.ParseKubeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) < 3 || objs[0].GetName() != "sandbox" || objs[len(objs)-1].GetKind() != "NodePool" {
		t.Errorf("want the input first and the new objects after it:\n%s", out)
	}
	var pools []string
	for _, o := range objs {
		if o.IsLocalConfig() {
			t.Errorf("local config %s in the stream", o.ShortString())
		}
		if o.GetKind() == "NodePool" {
			pools = append(pools, o.GetName())
		}
	}
	if got := strings.Join(pools, " "); got != "untrusted-pool system-pool" {
		t.Errorf("Karpenter NodePools %q, want untrusted-pool system-pool", got)
	}
	for _, pool := range []string{"untrusted-pool", "system-pool"} {
		if want := "[info] gkemulticloud.googleapis.com/v1/AwsNodePool/" + pool + ": not written to the stream: local config"; !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}
