package transformer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/podyaml"
	"github.com/isolate-workloads/isolate-workloads/internal/text"
	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// Run is the KRM function: it pins the selected workloads of rl to the node
// pool of rl.FunctionConfig. When any error is found, no item is changed.
//
// Its results carry the tag function: isolate-workloads. Results in the
// input with that tag come from an earlier run over the same resources (the
// function's own output fed back in) and are replaced by this run's; other
// functions' results stay.
func Run(rl *fn.ResourceList) (bool, error) {
	rl.Results = slices.DeleteFunc(rl.Results, func(r *fn.Result) bool { return r.Tags[FunctionTag] == FunctionName })
	earlier := len(rl.Results)
	ok, err := isolate(rl)
	for _, r := range rl.Results[earlier:] {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		r.Tags[FunctionTag] = FunctionName
	}
	return ok, err
}

// The tag that marks this function's results.
const (
	FunctionTag  = "function"
	FunctionName = "isolate-workloads"
)

func isolate(rl *fn.ResourceList) (bool, error) {
	cfg, errs := config.Load(rl.FunctionConfig)
	if len(errs) > 0 {
		for _, e := range errs {
			rl.Results = append(rl.Results, configResult(e, rl.FunctionConfig))
		}
		return false, nil
	}
	run := newIsolation(cfg, rl.FunctionConfig)
	run.plan(rl.Items)
	run.audit()
	var emitted *emission
	if !run.failed() {
		var err error
		if emitted, err = planEmission(rl.Items, cfg); err != nil {
			run.results = append(run.results, fn.ErrorResult(err))
			run.errors++
		}
	}
	rl.Results = append(rl.Results, run.results...)
	if run.failed() {
		rl.Results = append(rl.Results, fn.GeneralResult(
			fmt.Sprintf("no resource was changed: %s found", text.Plural(run.errors, "error")), fn.Error))
		return false, nil
	}
	run.apply()
	emitted.apply(rl)
	rl.Results = append(rl.Results, run.changed...)
	rl.Results = append(rl.Results, emitted.results...)
	rl.Results = append(rl.Results, run.summary())
	return true, nil
}

// isolation is one run over the items.
type isolation struct {
	cfg       *config.WorkloadIsolation
	cfgObject *fn.KubeObject
	table     *workload.Table
	// pools are the config's, in its order.
	pools []placement.Pool

	auditor  *audit.Auditor
	audited  []audit.Workload
	acks     *acknowledgements
	findings map[string]int
	// acknowledged counts the findings per check that an acknowledgement
	// turned into info.
	acknowledged map[string]int

	changes []change
	// listOf maps the members of List documents to their List, whose file
	// results name.
	listOf map[*fn.KubeObject]*fn.KubeObject
	// poolLabels are planned with spec.enforcement (enforce.go).
	poolLabels []poolLabel
	// results are errors and warnings; changed only describe a run that
	// succeeds, and are dropped when it fails.
	results fn.Results
	changed fn.Results
	errors  int
	stats   stats
}

type stats struct {
	selected, changed, alreadyIsolated, notWorkloads int
	// perPool counts the selected and the changed workloads of each pool.
	perPool []struct{ selected, changed int }
}

// change is a planned edit of one pod spec.
type change struct {
	podSpec *yaml.RNode
	plan    placement.Plan
}

func newIsolation(cfg *config.WorkloadIsolation, cfgObject *fn.KubeObject) *isolation {
	r := &isolation{cfg: cfg, table: workload.NewTable(cfg.Spec.AdditionalPodSpecPaths),
		auditor: audit.NewAuditor(cfg), acks: newAcknowledgements(cfg), findings: map[string]int{}, acknowledged: map[string]int{}, cfgObject: cfgObject,
		listOf: map[*fn.KubeObject]*fn.KubeObject{}, pools: placement.PoolsOf(cfg)}
	r.stats.perPool = make([]struct{ selected, changed int }, len(r.pools))
	return r
}

func (r *isolation) failed() bool { return r.errors > 0 }

// result is a result about one field of obj, naming the file obj came
// from: its List's file for a member of a List.
func (r *isolation) result(obj *fn.KubeObject, severity fn.Severity, path string, msg string) *fn.Result {
	res := objectResult(obj, severity, path, msg)
	if list, ok := r.listOf[obj]; ok {
		res.File = objectResult(list, severity, "", "").File
	}
	return res
}

func (r *isolation) plan(items fn.KubeObjects) {
	for i, obj := range items {
		if obj.IsLocalConfig() {
			continue
		}
		// The SDK hides the YAML node; moving it out and back in costs no copy.
		rn := obj.MoveToResourceNode()
		items[i] = fn.MoveToKubeObject(yaml.NewRNode(rn.YNode()))
		r.visit(items[i], rn, nil)
	}
}

// visit plans one object. in is the List that holds it, nil for an item of
// its own.
func (r *isolation) visit(obj *fn.KubeObject, rn *yaml.RNode, in *fn.KubeObject) {
	if in != nil {
		r.listOf[obj] = in
	}
	if members, ok := listMembers(rn); ok {
		r.visitList(obj, members)
		return
	}
	choice, selected, overlap := r.cfg.Select(resourceOf(obj))
	row, ok := r.table.Lookup(obj.GroupVersionKind())
	if !ok {
		if selected || overlap != nil {
			r.stats.notWorkloads++
		}
		r.warnIfPodSpecInside(obj, rn)
		return
	}
	r.acknowledge(obj, rn, row)
	switch {
	case overlap != nil:
		r.errors++
		r.results = append(r.results, r.result(obj, fn.Error, "", overlap.Error()))
	case selected:
		r.stats.selected++
		r.stats.perPool[choice.Pool].selected++
		r.planWorkload(obj, rn, row, choice)
	default:
		r.collectForAudit(obj, rn, row)
	}
}

// visitList plans the members of a List document, as kubectl and kustomize
// unwrap it. Each member is a view of its node inside the List, so an edit
// lands in the List as it is written back:
//
//	kind: List                      kind: List
//	items:                          items:
//	- kind: Deployment       →      - kind: Deployment
//	  spec: {template: ...}           spec: {template: {spec: {tolerations: [...], affinity: ...}}}
func (r *isolation) visitList(list *fn.KubeObject, members []*yaml.Node) {
	for i, m := range members {
		if m.Kind != yaml.MappingNode {
			r.results = append(r.results, r.result(list, fn.Warning, fmt.Sprintf("items[%d]", i),
				fmt.Sprintf("not isolated or audited: this member of the %s is not a Kubernetes object (%s)", list.GetKind(), nodeKind(m))))
			continue
		}
		member := yaml.NewRNode(m)
		if member.GetKind() == "" || member.GetApiVersion() == "" {
			r.results = append(r.results, r.result(list, fn.Warning, fmt.Sprintf("items[%d]", i),
				fmt.Sprintf("not isolated or audited: this member of the %s has no apiVersion or kind", list.GetKind())))
			continue
		}
		r.visit(fn.MoveToKubeObject(yaml.NewRNode(m)), member, list)
	}
}

// listMembers returns the items of a List document: a kind ending in List
// (v1 List, or a typed DeploymentList) with an items sequence, the shape
// `kubectl get -o yaml` writes.
func listMembers(rn *yaml.RNode) ([]*yaml.Node, bool) {
	if !strings.HasSuffix(rn.GetKind(), "List") {
		return nil, false
	}
	items := rn.Field("items")
	if items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
		return nil, false
	}
	return items.Value.YNode().Content, true
}

// podSpecShapes are where known workload kinds keep their pod spec; an
// unknown kind with containers at one of them is most likely a workload
// the kind table does not know (an Argo Rollout, an OpenKruise CloneSet).
var podSpecShapes = [][]string{
	{"spec", "template", "spec", "containers"},
	{"spec", "jobTemplate", "spec", "template", "spec", "containers"},
	{"spec", "containers"},
}

// warnIfPodSpecInside warns about an object of an unknown kind that looks
// like a workload: it is neither isolated nor audited, and silence would
// hide that.
func (r *isolation) warnIfPodSpecInside(obj *fn.KubeObject, rn *yaml.RNode) {
	for _, path := range podSpecShapes {
		if n, err := rn.Pipe(yaml.Lookup(path...)); err == nil && n != nil && n.YNode().Kind == yaml.SequenceNode {
			podSpec := strings.Join(path[:len(path)-1], "/")
			r.results = append(r.results, r.result(obj, fn.Warning, strings.Join(path, "."),
				fmt.Sprintf("not isolated or audited: %s is not a known workload kind, but it has a pod spec at %s; "+
					"to isolate and audit it, add {group: %s, kind: %s, path: %s} to spec.additionalPodSpecPaths",
					obj.GetKind(), podSpec, obj.GroupVersionKind().Group, obj.GetKind(), podSpec)))
			return
		}
	}
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "not a map"
}

// collectForAudit reads the pod spec of an unselected workload, which the
// audit checks for ways onto the pool.
func (r *isolation) collectForAudit(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath) {
	podSpec, path := podSpecOf(rn, row)
	if podSpec == nil {
		return
	}
	spec, err := audit.DecodePodSpec(podSpec.YNode())
	w := audit.Workload{Object: obj, Path: path, Spec: spec, Acknowledgement: r.acks.of(obj)}
	if err != nil {
		r.results = append(r.results, r.result(obj, fn.Warning, path.String(),
			"not audited: the pod spec cannot be read: "+err.Error()))
		return
	}
	r.audited = append(r.audited, w)
}

func (r *isolation) audit() {
	for _, f := range r.auditor.Run(r.audited) {
		severity := fn.Severity(f.Severity)
		// A finding about the pool itself points at the config.
		obj := f.Object
		if obj == nil {
			obj = r.cfgObject
		}
		res := r.result(obj, severity, f.Field, f.Message)
		res.Tags = f.Tags()
		r.results = append(r.results, res)
		r.findings[f.Check]++
		if f.Acknowledged {
			r.acknowledged[f.Check]++
		}
		if severity == fn.Error {
			r.errors++
		}
	}
}

// podSpecOf is the pod spec of a workload, nil when there is none, and its
// path in the object.
func podSpecOf(rn *yaml.RNode, row workload.PodSpecPath) (*yaml.RNode, *field.Path) {
	fields := row.Fields()
	podSpec, err := rn.Pipe(yaml.Lookup(fields...))
	if err != nil {
		podSpec = nil
	}
	return podSpec, field.NewPath(fields[0], fields[1:]...)
}

func (r *isolation) planWorkload(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath, choice config.Choice) {
	podSpec, path := podSpecOf(rn, row)
	if podSpec == nil || podSpec.YNode().Kind != yaml.MappingNode {
		r.fail(obj, field.Required(path, fmt.Sprintf("a selected %s needs a pod spec (a map) at %s to be isolated", obj.GetKind(), path)))
		return
	}
	pool := r.pools[choice.Pool]
	scheduling, errs := placement.Read(podSpec, path)
	if len(errs) == 0 {
		var plan placement.Plan
		plan, errs = placement.PlanFor(scheduling, pool, r.placementOptions(obj, choice.Placement), path)
		if len(errs) == 0 {
			r.record(obj, podSpec, plan, path, choice)
			for _, w := range plan.Warnings {
				r.results = append(r.results, r.result(obj, fn.Warning, w.Field, w.Detail))
			}
			if choice.Placement.Pins() {
				r.planPoolLabel(obj, rn, row, path, pool.Name)
			} else {
				r.planPoolLabelRemoval(obj, rn, row)
			}
			r.auditPlaced(obj, podSpec, path, plan.Apply(scheduling), choice)
		}
	}
	for _, e := range errs {
		r.fail(obj, e)
	}
	if nodeName := podSpec.Field("nodeName"); nodeName != nil && !yaml.IsYNodeEmptyDoc(nodeName.Value.YNode()) {
		res := r.result(obj, fn.Warning, path.Child("nodeName").String(),
			"spec.nodeName bypasses the scheduler, so taints and affinity do not decide where this pod runs; remove nodeName to isolate it")
		r.results = append(r.results, res)
	}
}

// auditPlaced hands a selected workload, as placement leaves it, to the
// audit when there is something to check: with several pools, whether it
// also tolerates another pool's taints; with a tolerate-only placement of a
// selector or a pool, what it brings onto its own pool. A pinned workload
// of the only pool is where it belongs, and spec.placement's None has
// always meant "the config vouches for these", so neither is read again.
func (r *isolation) auditPlaced(obj *fn.KubeObject, podSpec *yaml.RNode, path *field.Path, after placement.Scheduling, choice config.Choice) {
	tolerateOnly := choice.OwnPlacement && choice.Placement.TolerateOnly()
	if len(r.pools) == 1 && !tolerateOnly {
		return
	}
	spec, err := audit.DecodePodSpec(podSpec.YNode())
	if err != nil {
		r.results = append(r.results, r.result(obj, fn.Warning, path.String(),
			"not audited: the pod spec cannot be read: "+err.Error()))
		return
	}
	spec.Tolerations, spec.Affinity, spec.NodeSelector = after.Tolerations, after.Affinity, after.NodeSelector
	r.audited = append(r.audited, audit.Workload{Object: obj, Path: path, Spec: spec, Acknowledgement: r.acks.of(obj),
		Pool: r.pools[choice.Pool].Name, TolerateOnly: tolerateOnly})
}

func (r *isolation) record(obj *fn.KubeObject, podSpec *yaml.RNode, plan placement.Plan, path *field.Path, choice config.Choice) {
	switch {
	case plan.Unreachable:
		return
	case plan.Empty():
		r.stats.alreadyIsolated++
		return
	}
	r.stats.changed++
	r.stats.perPool[choice.Pool].changed++
	r.changes = append(r.changes, change{podSpec: podSpec, plan: plan})
	r.changed = append(r.changed, r.result(obj, fn.Info, path.String(),
		fmt.Sprintf("isolated onto node pool %q: added %s", r.pools[choice.Pool].Name, plan.Summary())))
}

func (r *isolation) fail(obj *fn.KubeObject, e *field.Error) {
	r.errors++
	r.results = append(r.results, r.result(obj, fn.Error, e.Field, errorDetail(e)))
}

func (r *isolation) apply() {
	enc := podyaml.NewEncoder()
	for _, c := range r.changes {
		c.plan.ApplyTo(c.podSpec, enc)
	}
	r.acks.apply()
	r.applyPoolLabels()
}

func (r *isolation) summary() *fn.Result {
	s := r.stats
	if s.selected == 0 {
		msg := fmt.Sprintf("no workload matched the selectors; nothing was isolated onto %s", r.poolNames())
		if s.notWorkloads > 0 {
			msg += fmt.Sprintf(" (%s matched but carry no pod spec)", text.Plural(s.notWorkloads, "object"))
		}
		return fn.GeneralResult(msg+r.auditSummary(), fn.Warning)
	}
	msg := fmt.Sprintf("isolated %d of %s onto %s", s.changed, text.Plural(s.selected, "selected workload"), r.poolNames())
	if len(r.pools) > 1 {
		parts := make([]string, len(r.pools))
		for i, p := range r.pools {
			parts[i] = fmt.Sprintf("%q: %d of %d", p.Name, s.perPool[i].changed, s.perPool[i].selected)
			if s.perPool[i].selected == 0 {
				parts[i] = fmt.Sprintf("%q: none selected", p.Name)
			}
		}
		msg += " (" + strings.Join(parts, ", ") + ")"
	}
	if s.alreadyIsolated > 0 {
		msg += fmt.Sprintf("; %d already isolated", s.alreadyIsolated)
	}
	if s.notWorkloads > 0 {
		msg += fmt.Sprintf("; skipped %s without a pod spec", text.Plural(s.notWorkloads, "selected object"))
	}
	return fn.GeneralResult(msg+r.poolLabelSummary()+r.auditSummary(), fn.Info)
}

// poolNames names the pools for the summary: node pool "a", or node pools
// "a" and "b".
func (r *isolation) poolNames() string {
	if len(r.pools) == 1 {
		return fmt.Sprintf("node pool %q", r.pools[0].Name)
	}
	names := make([]string, len(r.pools))
	for i, p := range r.pools {
		names[i] = fmt.Sprintf("%q", p.Name)
	}
	return "node pools " + strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// auditSummary counts the findings per check, for the summary result.
func (r *isolation) auditSummary() string {
	var parts []string
	for _, check := range audit.Checks {
		n := r.findings[check]
		switch acked := r.acknowledged[check]; {
		case acked > 0:
			parts = append(parts, fmt.Sprintf("%d %s (%d acknowledged)", n, check, acked))
		case n > 0:
			parts = append(parts, fmt.Sprintf("%d %s", n, check))
		}
	}
	if len(parts) == 0 {
		return "; audit: no findings"
	}
	return "; audit: " + strings.Join(parts, ", ")
}
