package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// webDeployment is a Deployment the test configs select.
const webDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers: [{name: app, image: nginx}]
`

func runPackage(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestRunMessagesNameTheFile: each line of stderr about an object or a
// file starts with the file's path (and the document, in a file of
// several); errors about a file name it too.
func TestRunMessagesNameTheFile(t *testing.T) {
	config := renderConfig
	dir := runPackage(t, map[string]string{
		"web.yaml":    webDeployment,
		"values.yaml": "replicas: 3\n",
		"more.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
` + strings.Replace(webDeployment, "name: web", "name: api", 1),
	})
	if err := os.Symlink("web.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "run", "--config", config, dir)
	if code != ExitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{
		"web.yaml: [info] apps/v1/Deployment/web spec.template.spec: isolated onto node pool",
		"more.yaml (document 2): [info] apps/v1/Deployment/api spec.template.spec: isolated onto node pool",
		"values.yaml: [warning]: skipped: this document has no apiVersion or kind",
		"link.yaml: [warning]: skipped: a symbolic link",
		config + ": [info] fn.kpt.dev/v1alpha1/WorkloadIsolation/layouts spec.systemNodePool: ",
	} {
		if !strings.Contains(stderr, "\n"+want) && !strings.HasPrefix(stderr, want) {
			t.Errorf("stderr lacks a line starting %q:\n%s", want, stderr)
		}
	}

	bad := runPackage(t, map[string]string{"web.yaml": webDeployment, "list.yaml": "- {apiVersion: v1, kind: ConfigMap}\n"})
	code, _, stderr = runCLI(t, "run", "--config", config, bad)
	if code != ExitFindings || !strings.Contains(stderr, "isolate-workloads run: list.yaml: document 1 is a YAML list, not a Kubernetes object") {
		t.Errorf("exit %d, want 1 and an error naming list.yaml:\n%s", code, stderr)
	}
}
