package nodepool_test

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// The Karpenter NodePool carries the pool's labels on its template and its
// taints in Karpenter's spelling, from the same config that isolates the
// workloads.
func ExampleRender_karpenter() {
	obj, err := fn.ParseKubeObject([]byte(`
apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: untrusted
spec:
  selectors:
  - labelSelector: isolation=untrusted
  nodePool:
    name: untrusted-pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    labels:
      workloadType: untrusted
    karpenter:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg, errs := config.Load(obj)
	if len(errs) > 0 {
		fmt.Println(errs)
		return
	}
	emitted, err := nodepool.Render(cfg, cfg.Spec.NodePool.EmittedTargets())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(emitted[0].Object.String())
	// Output:
	// apiVersion: karpenter.sh/v1
	// kind: NodePool
	// metadata:
	//   name: untrusted-pool
	//   labels:
	//     app.kubernetes.io/managed-by: isolate-workloads
	// spec:
	//   template:
	//     metadata:
	//       labels:
	//         workloadType: untrusted
	//     spec:
	//       nodeClassRef:
	//         group: karpenter.k8s.aws
	//         kind: EC2NodeClass
	//         name: default
	//       requirements: []
	//       taints:
	//       - key: workloadType
	//         value: untrusted
	//         effect: NoExecute
}
