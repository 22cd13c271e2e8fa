// Command isolate-workloads is the KRM function. With no arguments it reads a
// ResourceList on stdin and writes one on stdout; with arguments it runs one
// of the subcommands in package cli.
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/cli"
	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) > 1 {
		os.Exit(cli.Main(version, os.Args[1:], cli.IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}))
	}
	os.Exit(krmio.Main(fn.ResourceListProcessorFunc(transformer.Run), os.Stdin, os.Stdout, os.Stderr))
}
