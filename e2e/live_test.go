package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyLiveDelegation checks that the function binary, which does not
// link client-go, hands `verify --kubeconfig` and `--in-cluster` to
// isolate-workloads-live next to it: same stdout, stderr and exit code as
// running the live binary directly. The cluster tests (TestVerifyClusterDrift,
// TestVerifyClusterRBAC) run the function binary too, so exits 0 and 1 go
// through the same hand-over on a real API server.
func TestVerifyLiveDelegation(t *testing.T) {
	config := filepath.Join(repoRoot, "examples", "kpt", "isolation.yaml")
	// A server nothing listens on: the live mode's own error, exit 2.
	unreachable := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(unreachable, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: ctx, context: {cluster: c, user: u}}]
current-context: ctx
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for _, args := range [][]string{
		{"--kubeconfig", unreachable},
		{"--kubeconfig", unreachable, "--context", "nope"},
		{"--kubeconfig", filepath.Join(t.TempDir(), "missing")},
		{"--in-cluster"},
	} {
		args = append([]string{"verify", "--config", config, "-o", "json"}, args...)
		code, stdout, stderr := runBinary(t, nil, args...)
		liveCode, liveStdout, liveStderr := runCommand(t, liveBinary, args...)
		if code != 2 || stdout != "" || stderr == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2, a message and no output", args, code, stdout, stderr)
		}
		if code != liveCode || stdout != liveStdout || stderr != liveStderr {
			t.Errorf("%v: the function binary gave exit %d, stderr %q; the live binary exit %d, stderr %q", args, code, stderr, liveCode, liveStderr)
		}
	}
}

// TestVerifyLiveMissing runs the function binary alone: without
// isolate-workloads-live next to it or on PATH, the live mode exits 2 and
// says which binary is missing and how to get it.
func TestVerifyLiveMissing(t *testing.T) {
	dir := t.TempDir()
	alone := filepath.Join(dir, "isolate-workloads")
	data, err := os.ReadFile(binary)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	config := filepath.Join(repoRoot, "examples", "kpt", "isolation.yaml")
	for _, args := range [][]string{{"--kubeconfig", "k"}, {"--in-cluster"}} {
		code, stdout, stderr := runCommand(t, alone, append([]string{"verify", "--config", config}, args...)...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "needs the isolate-workloads-live binary") || !strings.Contains(stderr, "make build") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming isolate-workloads-live and make build", args, code, stdout, stderr)
		}
	}
	// The dump mode needs nothing else.
	code, stdout, stderr := runCommand(t, alone, "verify", "--config", config, "--cluster-state", filepath.Join(repoRoot, "testdata", "verify", "clean.json"))
	if code != 0 || !strings.Contains(stdout, "0 violations") {
		t.Errorf("dump mode: exit %d\n%s%s", code, stdout, stderr)
	}
}
