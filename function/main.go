// Command isolate-workloads is the KRM function. With no arguments it reads a
// ResourceList on stdin and writes one on stdout.
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/transformer"
)

func main() {
	if err := fn.AsMain(fn.ResourceListProcessorFunc(transformer.Run)); err != nil {
		os.Exit(1)
	}
}
