package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/isolate-workloads/isolate-workloads/verify"
)

// LiveBinary is the second binary, built from function/live, that links
// client-go for `verify --kubeconfig` and `--in-cluster`. The function
// binary does not link client-go, so its package initialisation does not
// run on every KRM function start; it hands the live mode over
// to this binary instead.
const LiveBinary = "isolate-workloads-live"

// LiveSource says where a live cluster is, as verify's flags give it: a
// kubeconfig file and optionally one of its contexts, or the Pod's own
// ServiceAccount. It has the fields of verify/live's Source, so the live
// binary converts one into the other.
type LiveSource struct {
	Kubeconfig string
	Context    string
	InCluster  bool
}

// LiveReader lists a cluster's Pods and Nodes through its API server.
type LiveReader func(ctx context.Context, s LiveSource) (*verify.ClusterState, error)

// liveRead is the registered live mode; nil in the function binary.
var liveRead LiveReader

// RegisterLiveVerify makes `verify --kubeconfig` and `--in-cluster` read
// the cluster in this process, with read, instead of running LiveBinary.
// The live binary calls it before Main.
func RegisterLiveVerify(read LiveReader) { liveRead = read }

// delegateLive runs LiveBinary with the same arguments and streams, and
// returns its exit status, as if this binary had read the cluster.
func delegateLive(args []string, stdio IO) error {
	path, err := findLiveBinary()
	if err != nil {
		return usageErrorf("reading a live cluster (--kubeconfig, --in-cluster) needs the %s binary next to this one or on PATH "+
			"(`make build` builds both into bin/, the image ships both in /usr/local/bin): %v", LiveBinary, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		// The live binary has said everything already.
		return &exitError{code: exit.ExitCode()}
	}
	return usageErrorf("running %s: %v", path, err)
}

// findLiveBinary looks next to this executable first, so a binary and its
// sibling from the same build go together, then on PATH.
func findLiveBinary() (string, error) {
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), LiveBinary)
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath(LiveBinary)
	if err != nil {
		return "", fmt.Errorf("%s not found: %w", LiveBinary, err)
	}
	return p, nil
}
