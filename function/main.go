// Command isolate-workloads is the KRM function. With no arguments it reads a
// ResourceList on stdin and writes one on stdout; with arguments it runs one
// of the subcommands in package cli.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/cli"
	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: the arguments, the environment and the
// standard streams, returning the exit status.
func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		return cli.Main(version, args, cli.IO{Stdin: stdin, Stdout: stdout, Stderr: stderr})
	}
	limits, err := krmio.LimitsFromEnv(getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	return krmio.Main(fn.ResourceListProcessorFunc(transformer.Run), limits, stdin, stdout, stderr)
}
