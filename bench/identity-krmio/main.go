// Command identity-krmio is the second baseline: an identity function on the
// same reader and writer as isolate-workloads (internal/krmio), so the ratio
// to it is the cost of the transform alone.
package main

import (
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

func main() {
	limits := krmio.Limits{MaxInputBytes: krmio.DefaultMaxInputBytes, MaxResources: krmio.DefaultMaxResources}
	os.Exit(krmio.Main(fn.ResourceListProcessorFunc(func(*fn.ResourceList) (bool, error) { return true, nil }), limits, os.Stdin, os.Stdout, os.Stderr))
}
