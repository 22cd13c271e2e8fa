// Command isolate-workloads-live is isolate-workloads with the live mode of
// verify linked in: `verify --kubeconfig FILE [--context NAME]` and
// `verify --in-cluster` read Pods and Nodes through the API server with
// client-go (package verify/live).
//
// It is a second binary so that the function binary does not link
// client-go: Go runs every linked package's initialisation on every start,
// and the KRM function starts once per render. The function
// binary runs this one, found next to it or on PATH, when it is asked for
// the live mode; run directly, this one takes the same arguments and gives
// the same output and exit codes as isolate-workloads.
package main

import (
	"context"
	"os"

	"github.com/isolate-workloads/isolate-workloads/cli"
	"github.com/isolate-workloads/isolate-workloads/verify"
	"github.com/isolate-workloads/isolate-workloads/verify/live"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	cli.RegisterLiveVerify(func(ctx context.Context, s cli.LiveSource) (*verify.ClusterState, error) {
		return live.Read(ctx, live.Source(s))
	})
	os.Exit(cli.Main(version, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
}
