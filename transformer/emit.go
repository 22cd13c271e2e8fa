package transformer

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/kustomize/kyaml/yaml/merge2"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// emit adds the node-pool objects to the items. An object with the same
// identity is updated in place: the rendered fields win, the user's other
// fields stay, so a second run changes nothing.
func emit(rl *fn.ResourceList, cfg *config.WorkloadIsolation) (fn.Results, error) {
	targets := cfg.Spec.NodePool.EmittedTargets()
	if len(targets) == 0 {
		return fn.Results{fn.GeneralResult(fmt.Sprintf(
			"node pool %q is not emitted: no target is configured. To emit it, add one of spec.nodePool.{%s}",
			cfg.Spec.NodePool.Name, strings.Join(config.TargetFields(), ",")), fn.Info)}, nil
	}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		return nil, err
	}
	var results fn.Results
	for _, e := range emitted {
		verb := "emitted"
		if i := indexOf(rl.Items, e.Object); i >= 0 {
			merged, err := mergeInto(rl.Items[i], e.Object)
			if err != nil {
				return nil, fmt.Errorf("updating %s: %w", rl.Items[i].ShortString(), err)
			}
			rl.Items[i] = merged
			verb = "updated"
		} else {
			rl.Items = append(rl.Items, e.Object)
		}
		res := fn.ConfigObjectResult(fmt.Sprintf("%s node pool %q as %s %s (%s)", verb, e.Pool, e.Object.GetAPIVersion(), e.Object.GetKind(), e.Target), e.Object, fn.Info)
		res.File = nil
		results = append(results, res)
	}
	return results, nil
}

func indexOf(items fn.KubeObjects, obj *fn.KubeObject) int {
	for i, it := range items {
		if it.HasSameID(obj) {
			return i
		}
	}
	return -1
}

// mergeInto merges the rendered object into the existing one with kyaml's
// merge: maps merge key by key, lists (taints) are replaced.
func mergeInto(existing, rendered *fn.KubeObject) (*fn.KubeObject, error) {
	dest := existing.MoveToResourceNode()
	src := rendered.MoveToResourceNode()
	merged, err := merge2.Merge(src, dest, yaml.MergeOptions{})
	if err != nil {
		return nil, err
	}
	return fn.MoveToKubeObject(merged), nil
}
