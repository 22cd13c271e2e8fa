package enforcement

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// testPool is the config the tests render: two guarded taints (one without
// a value), a PreferNoSchedule taint the policy does not guard, two labels.
const testPool = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: untrusted
spec:
  nodePool:
    name: untrusted
    taints:
    - {key: workload, value: untrusted, effect: NoSchedule}
    - {key: sandbox.example.com/runtime, effect: NoExecute}
    - {key: spot, value: "true", effect: PreferNoSchedule}
    labels:
      workload: untrusted
      sandbox.example.com/runtime: gvisor
  selectors:
  - labelSelector: isolation=untrusted
  enforcement:
    validationActions: [Deny]
`

func testConfig(t testing.TB) *config.WorkloadIsolation {
	t.Helper()
	obj, err := fn.ParseKubeObject([]byte(testPool))
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := config.Load(obj)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	return cfg
}
