package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var kptExample = filepath.Join(repoRoot, "examples", "kpt")

// execPackage copies the kpt example and points its mutator at the built
// binary, since no container engine runs on CI machines.
func execPackage(t *testing.T) string {
	t.Helper()
	dir := copyDir(t, kptExample)
	kptfile := filepath.Join(dir, "Kptfile")
	content := readFile(t, kptfile)
	rewritten := strings.Replace(content, "- image: ghcr.io/isolate-workloads/isolate-workloads:v0.1.0", "- exec: "+binary, 1)
	if rewritten == content {
		t.Fatal("the Kptfile of examples/kpt no longer names the image this test replaces")
	}
	if err := os.WriteFile(kptfile, []byte(rewritten), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// assertExpected compares every file of .expected with the rendered package.
func assertExpected(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(kptExample, ".expected"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		want := readFile(t, filepath.Join(kptExample, ".expected", e.Name()))
		if got := readFile(t, filepath.Join(dir, e.Name())); got != want {
			t.Errorf("%s differs from .expected/%s:\n%s", e.Name(), e.Name(), got)
		}
	}
}

// TestKptRender renders the example twice with real kpt: the second render
// must leave every file as the first one wrote it.
func TestKptRender(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git") // kpt refuses to run without it
	dir := execPackage(t)
	for i := 0; i < 2; i++ {
		run(t, dir, kpt, "fn", "render", dir, "--allow-exec")
		assertExpected(t, dir)
	}
	assertIsolatedExample(t, readFile(t, filepath.Join(dir, "workloads.yaml")))
}

// TestKptEvalFnConfig runs `kpt fn eval --exec --fn-config` on the package.
func TestKptEvalFnConfig(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	dir := copyDir(t, kptExample)
	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", filepath.Join(dir, "isolation.yaml"))
	assertExpected(t, dir)
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
