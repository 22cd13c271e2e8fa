package dirmode

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// webHead is a Deployment up to its pod spec, whose fields follow it.
const webHead = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
`

const webDeployment = webHead + `      containers:
      - name: app
        image: nginx
`

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// findResult returns the first result about file whose message contains text.
func findResult(results fn.Results, file, text string) *fn.Result {
	for _, r := range results {
		if r.File != nil && r.File.Path == file && strings.Contains(r.Message, text) {
			return r
		}
	}
	return nil
}

// TestSymlinksAreSkippedWithANotice: a link stays a link, its target (in or
// out of the package) is not written through it, and a warning names each
// link that could hold manifests. Before, the link was replaced by a
// regular file holding the isolated copy.
func TestSymlinksAreSkippedWithANotice(t *testing.T) {
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"shared.yaml": strings.Replace(webDeployment, "name: web", "name: shared", 1), "dir/more.yaml": webDeployment})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"web.yaml": webDeployment, "README.md": "docs\n"})
	for link, target := range map[string]string{
		"same.yaml":    "web.yaml",
		"outside.yaml": filepath.Join(outside, "shared.yaml"),
		"linked-dir":   filepath.Join(outside, "dir"),
		"README.link":  "README.md",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	results, err := runOn(t, dir, isolateDeployments, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, link := range []string{"same.yaml", "outside.yaml", "linked-dir"} {
		if info, err := os.Lstat(filepath.Join(dir, link)); err != nil || info.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link", link)
		}
		if findResult(results, link, "symbolic link") == nil {
			t.Errorf("no notice names the skipped link %s: %v", link, results)
		}
	}
	if findResult(results, "README.link", "") != nil {
		t.Error("a link that holds no manifest was reported")
	}
	for _, f := range []string{"shared.yaml", "dir/more.yaml"} {
		if data, _ := os.ReadFile(filepath.Join(outside, f)); strings.Contains(string(data), "workloadType") {
			t.Errorf("%s outside the package was written through a link", f)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "web.yaml")); strings.Count(string(data), "key: workloadType") != 2 {
		t.Errorf("web.yaml was not isolated exactly once:\n%s", data)
	}
}

// TestDocumentsThatAreNotObjects: a map without apiVersion or kind is
// reported by file and document and left alone, and the rest of the
// package is still isolated; a YAML list or a single value stops the run
// with an error that says what the document is.
func TestDocumentsThatAreNotObjects(t *testing.T) {
	dir := t.TempDir()
	values := `replicas: 3
---
kind: Deployment
metadata:
  name: no-api-version
spec:
  template:
    spec:
      containers: [{name: a, image: b}]
`
	writeFiles(t, dir, map[string]string{"values.yaml": values, "web.yaml": webDeployment})
	results, err := runOn(t, dir, isolateDeployments, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, index := range []int{0, 1} {
		r := findResult(results, "values.yaml", "no apiVersion or kind")
		for _, res := range results {
			if res.File != nil && res.File.Path == "values.yaml" && res.File.Index == index && strings.Contains(res.Message, "no apiVersion or kind") {
				r = res
			}
		}
		if r == nil || r.File.Index != index || r.Severity != fn.Warning {
			t.Errorf("no warning about document %d of values.yaml: %v", index+1, results)
		}
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "values.yaml")); string(data) != values {
		t.Error("values.yaml changed")
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "web.yaml")); !strings.Contains(string(data), "workloadType") {
		t.Error("the Deployment beside it was not isolated")
	}

	for text, want := range map[string]string{
		`- apiVersion: apps/v1
  kind: Deployment
`: "objects.yaml: document 1 is a YAML list, not a Kubernetes object",
		"just a string\n": `objects.yaml: document 1 is a single value ("just a string"), not a Kubernetes object`,
	} {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"web.yaml": webDeployment, "objects.yaml": `# a comment-only document first
---
` + text})
		_, err := runOn(t, dir, isolateDeployments, Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("want an error containing %q, got %v", want, err)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "web.yaml")); string(data) != webDeployment {
			t.Error("a failed run changed web.yaml")
		}
	}
}

// TestResultsNameTheirFile: every result about an object says which file
// and document it came from, and the objects come back without the
// annotations that carried this.
func TestResultsNameTheirFile(t *testing.T) {
	dir := t.TempDir()
	const configMap = `apiVersion: v1
kind: ConfigMap
metadata: {name: c}
---
`
	second := strings.Replace(webDeployment, "name: web", `name: api
  annotations: {team: a}`, 1)
	writeFiles(t, dir, map[string]string{
		"apps/all.yaml": configMap + second,
		"web.yaml":      webDeployment,
	})
	results, err := runOn(t, dir, isolateDeployments, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]fn.File{"web": {Path: "web.yaml", Index: 0}, "api": {Path: filepath.Join("apps", "all.yaml"), Index: 1}}
	for name, file := range want {
		found := false
		for _, r := range results {
			if r.ResourceRef != nil && r.ResourceRef.Name == name {
				found = true
				if r.File == nil || *r.File != file {
					t.Errorf("result %q about %s names file %+v, want %+v", r.Message, name, r.File, file)
				}
			}
		}
		if !found {
			t.Errorf("no result about %s", name)
		}
	}
	for _, name := range []string{"web.yaml", "apps/all.yaml"} {
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if strings.Contains(string(data), "config.kubernetes.io") {
			t.Errorf("%s kept the location annotations:\n%s", name, data)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "apps/all.yaml"))
	if !strings.HasPrefix(string(data), configMap) || !strings.Contains(string(data), "  annotations: {team: a}\n") {
		t.Errorf("apps/all.yaml changed beyond the isolation:\n%s", data)
	}
}

// TestListDocumentIsIsolatedInPlace: the members of a `kind: List` export
// are isolated inside the List, which is written back with only the new
// lines; a member that is not selected keeps its bytes.
func TestListDocumentIsIsolatedInPlace(t *testing.T) {
	dir := t.TempDir()
	list := `# kubectl get deploy,ds -o yaml
apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    template:
      spec:
        containers:
        - name: app
          image: nginx
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: agent
  spec:
    template:
      spec:
        containers:
        - name: agent
          image: agent
`
	writeFiles(t, dir, map[string]string{"export.yaml": list})
	before, after := runChecked(t, dir, isolateDeployments)
	removed, added := lineChanges(before["export.yaml"], after["export.yaml"])
	if removed != 0 || added == 0 {
		t.Fatalf("%d lines removed, %d added:\n%s", removed, added, after["export.yaml"])
	}
	web, agent, _ := strings.Cut(after["export.yaml"], "- apiVersion: apps/v1\n  kind: DaemonSet")
	if !strings.Contains(web, "key: workloadType") || strings.Contains(agent, "workloadType") {
		t.Errorf("want the Deployment isolated and the DaemonSet untouched:\n%s", after["export.yaml"])
	}
}

// TestNewObjectNeverWritesThroughALink: an emitted node pool whose file
// name is taken by a link is an error, and the link's target is untouched.
func TestNewObjectNeverWritesThroughALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(t.TempDir(), "elsewhere.yaml")
	writeFiles(t, dir, map[string]string{"web.yaml": webDeployment})
	if err := os.Symlink(target, filepath.Join(dir, "nodepool_untrusted-pool.yaml")); err != nil {
		t.Fatal(err)
	}
	config := withKarpenter(isolateDeployments)
	_, err := runOn(t, dir, config, Options{})
	if err == nil || !strings.Contains(err.Error(), "nodepool_untrusted-pool.yaml, which is a symbolic link") {
		t.Fatalf("want an error about the link, got %v", err)
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Error("the link's target was written")
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "web.yaml")); string(data) != webDeployment {
		t.Error("a failed run changed web.yaml")
	}
}
