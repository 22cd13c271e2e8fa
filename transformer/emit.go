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

// planEmission renders the node-pool objects and, with spec.enforcement, the
// admission policy. An object with the same identity as an item updates it:
// the rendered fields win, the user's other fields stay, so a second run
// changes nothing.
func planEmission(items fn.KubeObjects, cfg *config.WorkloadIsolation) (*emission, error) {
	e := &emission{replace: map[int]*fn.KubeObject{}}
	if err := e.planNodePools(items, cfg); err != nil {
		return nil, err
	}
	if err := e.planEnforcement(items, cfg); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *emission) planNodePools(items fn.KubeObjects, cfg *config.WorkloadIsolation) error {
	for _, p := range cfg.Pools() {
		if len(p.EmittedTargets()) == 0 {
			e.results = append(e.results, fn.GeneralResult(fmt.Sprintf(
				"node pool %q is not emitted: no target is configured. To emit it, add one of %s.{%s}",
				p.Name, p.Path, strings.Join(config.TargetFields(), ",")), fn.Info))
		}
	}
	emitted, err := nodepool.Render(cfg, nil)
	if err != nil {
		return err
	}
	for _, em := range emitted {
		outcome, err := e.upsert(items, em.Object)
		if err != nil {
			return fmt.Errorf("updating %s with the rendered node pool: %w", em.Object.ShortString(), err)
		}
		res := fn.ConfigObjectResult(outcome.say(fmt.Sprintf("node pool %q as %s %s (%s)", em.Pool, em.Object.GetAPIVersion(), em.Object.GetKind(), em.Target)), em.Object, fn.Info)
		res.File = nil
		e.results = append(e.results, res)
	}
	return nil
}

// upsertOutcome says what upsert did with an object.
type upsertOutcome int

const (
	emitted upsertOutcome = iota
	updated
	upToDate
)

// say words the outcome for an object described as what.
func (o upsertOutcome) say(what string) string {
	switch o {
	case emitted:
		return "emitted " + what
	case updated:
		return "updated " + what
	}
	return what + " is up to date"
}

// upsert plans obj as a new item, or as the update of the item with its
// identity; an item the merge would not change stays as it is.
func (e *emission) upsert(items fn.KubeObjects, obj *fn.KubeObject) (upsertOutcome, error) {
	i := indexOf(items, obj)
	if i < 0 {
		e.add = append(e.add, obj)
		return emitted, nil
	}
	merged, err := mergeInto(items[i], obj)
	if err != nil {
		return 0, err
	}
	if merged.String() == items[i].String() {
		return upToDate, nil
	}
	e.replace[i] = merged
	return updated, nil
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
