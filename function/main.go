// Command isolate-workloads is the KRM function. With no arguments it reads a
// ResourceList on stdin and writes one on stdout.
package main

import (
	"fmt"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// version is stamped at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if len(os.Args) > 1 {
		os.Exit(subcommand(os.Args[1], os.Args[2:]))
	}
	if err := fn.AsMain(fn.ResourceListProcessorFunc(transformer.Run)); err != nil {
		os.Exit(1)
	}
}

const usage = `isolate-workloads pins chosen workloads to a dedicated, tainted node pool.

Usage:
  isolate-workloads            run as a KRM function (ResourceList on stdin and stdout)
  isolate-workloads version    print the version
`

func subcommand(name string, _ []string) int {
	switch name {
	case "version", "--version":
		fmt.Println(version)
		return 0
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", name, usage)
	return 2
}
