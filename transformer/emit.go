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

// emission is the node-pool objects of a run, rendered and merged but not
// yet in the items, so that a failure leaves the items as they were.
type emission struct {
	replace map[int]*fn.KubeObject
	add     fn.KubeObjects
	results fn.Results
}

// planEmission renders the node-pool objects. An object with the same
// identity as an item updates it: the rendered fields win, the user's other
// fields stay, so a second run changes nothing.
func planEmission(items fn.KubeObjects, cfg *config.WorkloadIsolation) (*emission, error) {
	e := &emission{replace: map[int]*fn.KubeObject{}}
	targets := cfg.Spec.NodePool.EmittedTargets()
	if len(targets) == 0 {
		e.results = fn.Results{fn.GeneralResult(fmt.Sprintf(
			"node pool %q is not emitted: no target is configured. To emit it, add one of spec.nodePool.{%s}",
			cfg.Spec.NodePool.Name, strings.Join(config.TargetFields(), ",")), fn.Info)}
		return e, nil
	}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		return nil, err
	}
	for _, em := range emitted {
		verb := "emitted node pool %q as %s %s (%s)"
		if i := indexOf(items, em.Object); i >= 0 {
			merged, err := mergeInto(items[i], em.Object)
			if err != nil {
				return nil, fmt.Errorf("updating %s with the rendered node pool: %w", items[i].ShortString(), err)
			}
			verb = "node pool %q is up to date as %s %s (%s)"
			if merged.String() != items[i].String() {
				e.replace[i] = merged
				verb = "updated node pool %q as %s %s (%s)"
			}
		} else {
			e.add = append(e.add, em.Object)
		}
		res := fn.ConfigObjectResult(fmt.Sprintf(verb, em.Pool, em.Object.GetAPIVersion(), em.Object.GetKind(), em.Target), em.Object, fn.Info)
		res.File = nil
		e.results = append(e.results, res)
	}
	return e, nil
}

// apply puts the objects into the items.
func (e *emission) apply(rl *fn.ResourceList) {
	for i, obj := range e.replace {
		rl.Items[i] = obj
	}
	rl.Items = append(rl.Items, e.add...)
}

func indexOf(items fn.KubeObjects, obj *fn.KubeObject) int {
	for i, it := range items {
		if it.HasSameID(obj) {
			return i
		}
	}
	return -1
}

// mergeInto merges the rendered object into a copy of the existing one with
// kyaml's merge: maps merge key by key, lists (taints) are replaced.
func mergeInto(existing, rendered *fn.KubeObject) (*fn.KubeObject, error) {
	merged, err := merge2.Merge(rendered.CopyToResourceNode(), existing.CopyToResourceNode(), yaml.MergeOptions{})
	if err != nil {
		return nil, err
	}
	return fn.MoveToKubeObject(merged), nil
}
