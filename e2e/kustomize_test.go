package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"
)

// TestKustomizeExec runs real kustomize on the exec example as a user would
// and compares its output with the checked-in expected.yaml.
func TestKustomizeExec(t *testing.T) {
	kustomize := tool(t, "kustomize")
	got := run(t, repoRoot, kustomize, "build", "--enable-alpha-plugins", "--enable-exec",
		filepath.Join("examples", "kustomization", "exec"))
	want := readFile(t, filepath.Join(repoRoot, "examples", "kustomization", "expected.yaml"))
	if got != want {
		t.Errorf("kustomize build output differs from examples/kustomization/expected.yaml:\n%s", got)
	}
	assertIsolatedExample(t, got)
}

// TestKustomizeMultiTenant builds the multi-tenant example as the README
// says, with the function on PATH (its transformer names it by bare name),
// and compares the output with the checked-in expected.yaml.
func TestKustomizeMultiTenant(t *testing.T) {
	cmd := exec.Command(tool(t, "kustomize"), "build", "--enable-alpha-plugins", "--enable-exec", multiTenantExample)
	cmd.Dir = repoRoot
	cmd.Env = pipelinePath(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build: %v\n%s", err, stderrOf(err))
	}
	want := readFile(t, filepath.Join(repoRoot, multiTenantExample, "expected.yaml"))
	if got := string(out); got != want {
		t.Errorf("kustomize build output differs from %s/expected.yaml:\n%s", multiTenantExample, got)
	}
	assertMultiTenantExample(t, string(out))
}
