package e2e

import (
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
