package configtest

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// Load parses, defaults and validates a config written as YAML, and fails
// the test on any problem.
func Load(t testing.TB, text string) *config.WorkloadIsolation {
	t.Helper()
	obj, err := fn.ParseKubeObject([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := config.Load(obj)
	if len(errs) > 0 {
		t.Fatalf("config: %v", errs.ToAggregate())
	}
	return cfg
}
