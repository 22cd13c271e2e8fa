package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/verify"
	"github.com/isolate-workloads/isolate-workloads/verify/live"
)

// The tests run as the live binary does: with verify/live registered, so
// the live mode's errors (TestVerifyBadInput) come from this process.
func init() {
	RegisterLiveVerify(func(ctx context.Context, s LiveSource) (*verify.ClusterState, error) {
		return live.Read(ctx, live.Source(s))
	})
}

// withoutLive runs f as the function binary runs: no live mode registered,
// and PATH set to path.
func withoutLive(t *testing.T, path string) {
	t.Helper()
	saved := liveRead
	liveRead = nil
	t.Cleanup(func() { liveRead = saved })
	t.Setenv("PATH", path)
}

func TestVerifyLiveWithoutLiveBinary(t *testing.T) {
	withoutLive(t, t.TempDir())
	for _, args := range [][]string{{"--kubeconfig", "k"}, {"--kubeconfig", "k", "--context", "prod"}, {"--in-cluster"}} {
		code, out, stderr := runCLI(t, append([]string{"verify", "--config", verifyConfig}, args...)...)
		if code != ExitBadInput || out != "" || !strings.Contains(stderr, "needs the isolate-workloads-live binary") || !strings.Contains(stderr, "make build") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 naming the binary and make build, nothing on stdout", args, code, out, stderr)
		}
	}
	// Flag mistakes are still answered here, not by the missing binary.
	code, _, stderr := runCLI(t, "verify", "--config", verifyConfig, "--in-cluster", "--kubeconfig", "k")
	if code != ExitBadInput || !strings.Contains(stderr, "exclude each other") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

// TestVerifyLiveDelegates checks the hand-over to a live binary on PATH:
// the whole command line, the streams and the exit status. e2e runs the
// real one (TestVerifyLiveDelegation and the cluster tests).
func TestVerifyLiveDelegates(t *testing.T) {
	dir := t.TempDir()
	script := `#!/bin/sh
echo "out: $*"
echo "err: $*" >&2
exit "$EXIT"
`
	if err := os.WriteFile(filepath.Join(dir, LiveBinary), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	withoutLive(t, dir+":/usr/bin:/bin")
	for _, exit := range []int{ExitOK, ExitFindings, ExitBadInput} {
		t.Setenv("EXIT", string(rune('0'+exit)))
		args := []string{"verify", "--config", verifyConfig, "--kubeconfig", "k", "-o", "json"}
		code, out, stderr := runCLI(t, args...)
		want := strings.Join(args, " ")
		if code != exit || out != "out: "+want+"\n" || stderr != "err: "+want+"\n" {
			t.Errorf("exit %d (want %d), stdout %q, stderr %q", code, exit, out, stderr)
		}
	}
}
