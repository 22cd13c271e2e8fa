package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var kptExample = filepath.Join(repoRoot, "examples", "kpt")

// kptPackages are the examples that are kpt packages, each with the check of
// its intent on the files kpt rendered.
var kptPackages = []struct {
	dir    string
	assert func(t *testing.T, rendered string)
}{
	{kptExample, assertIsolatedExample},
	{filepath.Join(repoRoot, multiTenantExample), assertMultiTenantExample},
}

// execPackage is execPackageOf the kpt example.
func execPackage(t *testing.T) string {
	t.Helper()
	return execPackageOf(t, kptExample)
}

// execPackageOf copies a kpt example and points its mutator at the built
// binary, since no container engine runs on CI machines.
func execPackageOf(t *testing.T, example string) string {
	t.Helper()
	dir := copyDir(t, example)
	kptfile := filepath.Join(dir, "Kptfile")
	content := readFile(t, kptfile)
	rewritten := strings.Replace(content, "- image: ghcr.io/isolate-workloads/isolate-workloads:v0.1.0", "- exec: "+binary, 1)
	if rewritten == content {
		t.Fatalf("the Kptfile of %s no longer names the image this test replaces", example)
	}
	if err := os.WriteFile(kptfile, []byte(rewritten), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assertExpected is assertExpectedOf the kpt example.
func assertExpected(t *testing.T, dir string) {
	t.Helper()
	assertExpectedOf(t, kptExample, dir)
}

// assertExpectedOf compares every file of the example's .expected with the
// rendered package, and returns those rendered files as one YAML stream.
func assertExpectedOf(t *testing.T, example, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(example, ".expected"))
	if err != nil {
		t.Fatal(err)
	}
	var rendered []string
	for _, e := range entries {
		want := readFile(t, filepath.Join(example, ".expected", e.Name()))
		got := readFile(t, filepath.Join(dir, e.Name()))
		if got != want {
			t.Errorf("%s differs from %s/.expected/%s:\n%s", e.Name(), filepath.Base(example), e.Name(), got)
		}
		rendered = append(rendered, got)
	}
	return strings.Join(rendered, "\n---\n")
}

// TestKptRender renders each example package twice with real kpt: the
// second render must leave every file as the first one wrote it.
func TestKptRender(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git") // kpt refuses to run without it
	for _, pkg := range kptPackages {
		t.Run(filepath.Base(pkg.dir), func(t *testing.T) {
			dir := execPackageOf(t, pkg.dir)
			var rendered string
			for i := 0; i < 2; i++ {
				run(t, dir, kpt, "fn", "render", dir, "--allow-exec")
				rendered = assertExpectedOf(t, pkg.dir, dir)
			}
			pkg.assert(t, rendered)
		})
	}
}

// TestKptEvalFnConfig runs `kpt fn eval --exec --fn-config` on each example
// package.
func TestKptEvalFnConfig(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	for _, pkg := range kptPackages {
		t.Run(filepath.Base(pkg.dir), func(t *testing.T) {
			dir := copyDir(t, pkg.dir)
			run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", filepath.Join(dir, "isolation.yaml"))
			pkg.assert(t, assertExpectedOf(t, pkg.dir, dir))
		})
	}
}

// TestKptEvalConfigMap uses the imperative shortcut: kpt turns `-- k=v` into
// a ConfigMap functionConfig.
func TestKptEvalConfigMap(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	dir := copyDir(t, kptExample)
	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--",
		"nodePool=batch-pool", "taints=pool.example.com/batch=true:NoSchedule", "labels=pool.example.com/batch=true",
		"kinds=CronJob", "namespace=team-a")
	objs := parseObjects(t, readFile(t, filepath.Join(dir, "workloads.yaml")))
	cron := find(t, objs, "CronJob", "customer-reports")
	spec := podSpec(t, cron)
	if !hasToleration(spec, "pool.example.com/batch", "true", "NoSchedule") {
		t.Errorf("CronJob lacks the toleration: %+v", spec.Tolerations)
	}
	if !requiresLabel(spec, "pool.example.com/batch", "true") {
		t.Errorf("CronJob lacks the required affinity: %+v", spec.Affinity)
	}
	deploy := podSpec(t, find(t, objs, "Deployment", "plugin-runner"))
	if hasToleration(deploy, "pool.example.com/batch", "true", "NoSchedule") {
		t.Error("the Deployment was not selected (kinds=CronJob) but got the toleration")
	}
}
