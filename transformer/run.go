package transformer

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/podyaml"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/selection"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// Run is the KRM function: it pins the selected workloads of rl to the node
// pool of rl.FunctionConfig. When any error is found, no item is changed.
func Run(rl *fn.ResourceList) (bool, error) {
	cfg, errs := config.Load(rl.FunctionConfig)
	if len(errs) == 0 {
		errs = nodepool.Check(cfg, cfg.Spec.NodePool.EmittedTargets())
	}
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
			fmt.Sprintf("no resource was changed: %s found", plural(run.errors, "error")), fn.Error))
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
	matcher   *selection.Matcher
	table     *workload.Table
	pool      placement.Pool
	opts      placement.Options

	auditor  *audit.Auditor
	audited  []audit.Workload
	findings map[string]int

	changes []change
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
}

// change is a planned edit of one pod spec.
type change struct {
	podSpec *yaml.RNode
	plan    placement.Plan
}

func newIsolation(cfg *config.WorkloadIsolation, cfgObject *fn.KubeObject) *isolation {
	spec := field.NewPath("spec")
	matcher, _ := selection.Compile(cfg.Spec.Selectors, cfg.Spec.Excludes, spec.Child("selectors"), spec.Child("excludes"))
	pool, opts := placement.FromConfig(cfg)
	return &isolation{cfg: cfg, matcher: matcher, table: workload.NewTable(cfg.Spec.AdditionalPodSpecPaths), pool: pool, opts: opts,
		auditor: audit.NewAuditor(cfg, pool), findings: map[string]int{}, cfgObject: cfgObject}
}

func (r *isolation) failed() bool { return r.errors > 0 }

func (r *isolation) plan(items fn.KubeObjects) {
	for i, obj := range items {
		if obj.IsLocalConfig() {
			continue
		}
		selected := r.matcher.Selected(resourceOf(obj))
		row, ok := r.table.Lookup(obj.GroupVersionKind())
		if !ok {
			if selected {
				r.stats.notWorkloads++
			}
			continue
		}
		// The SDK hides the YAML node; moving it out and back in costs no copy.
		rn := obj.MoveToResourceNode()
		items[i] = fn.MoveToKubeObject(yaml.NewRNode(rn.YNode()))
		if selected {
			r.stats.selected++
			r.planWorkload(items[i], rn, row)
		} else {
			r.collectForAudit(items[i], rn, row)
		}
	}
}

// collectForAudit reads the pod spec of an unselected workload, which the
// audit checks for ways onto the pool.
func (r *isolation) collectForAudit(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath) {
	fields := row.Fields()
	path := field.NewPath(fields[0], fields[1:]...)
	podSpec, err := rn.Pipe(yaml.Lookup(fields...))
	if err != nil || podSpec == nil {
		return
	}
	spec, err := audit.DecodePodSpec(podSpec.YNode())
	w := audit.Workload{Object: obj, Path: path, Spec: spec}
	if err != nil {
		r.results = append(r.results, objectResult(obj, fn.Warning, path.String(),
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
		res := objectResult(obj, severity, f.Field, f.Message)
		res.Tags = map[string]string{"check": f.Check}
		r.results = append(r.results, res)
		r.findings[f.Check]++
		if severity == fn.Error {
			r.errors++
		}
	}
}

func (r *isolation) planWorkload(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath) {
	fields := row.Fields()
	path := field.NewPath(fields[0], fields[1:]...)
	podSpec, err := rn.Pipe(yaml.Lookup(fields...))
	if err != nil || podSpec == nil || podSpec.YNode().Kind != yaml.MappingNode {
		r.fail(obj, field.Required(path, fmt.Sprintf("a selected %s needs a pod spec (a map) at %s to be isolated", obj.GetKind(), path)))
		return
	}
	scheduling, errs := placement.Read(podSpec, path)
	if len(errs) == 0 {
		var plan placement.Plan
		plan, errs = placement.PlanFor(scheduling, r.pool, r.placementOptions(obj), path)
		if len(errs) == 0 {
			r.record(obj, podSpec, plan, path)
			r.planPoolLabel(obj, rn, row, path)
		}
	}
	for _, e := range errs {
		r.fail(obj, e)
	}
	if nodeName := podSpec.Field("nodeName"); nodeName != nil && !yaml.IsYNodeEmptyDoc(nodeName.Value.YNode()) {
		res := objectResult(obj, fn.Warning, path.Child("nodeName").String(),
			"spec.nodeName bypasses the scheduler, so taints and affinity do not decide where this pod runs; remove nodeName to isolate it")
		r.results = append(r.results, res)
	}
}

func (r *isolation) record(obj *fn.KubeObject, podSpec *yaml.RNode, plan placement.Plan, path *field.Path) {
	if plan.Empty() {
		r.stats.alreadyIsolated++
		return
	}
	r.stats.changed++
	r.changes = append(r.changes, change{podSpec: podSpec, plan: plan})
	r.changed = append(r.changed, objectResult(obj, fn.Info, path.String(),
		fmt.Sprintf("isolated onto node pool %q: added %s", r.pool.Name, plan.Summary())))
}

func (r *isolation) fail(obj *fn.KubeObject, e *field.Error) {
	r.errors++
	r.results = append(r.results, objectResult(obj, fn.Error, e.Field, errorDetail(e)))
}

func (r *isolation) apply() {
	enc := podyaml.NewEncoder()
	for _, c := range r.changes {
		c.plan.ApplyTo(c.podSpec, enc)
	}
	r.applyPoolLabels()
}

func (r *isolation) summary() *fn.Result {
	s := r.stats
	if s.selected == 0 {
		msg := fmt.Sprintf("no workload matched the selectors; nothing was isolated onto node pool %q", r.pool.Name)
		if s.notWorkloads > 0 {
			msg += fmt.Sprintf(" (%s matched but carry no pod spec)", plural(s.notWorkloads, "object"))
		}
		return fn.GeneralResult(msg+r.auditSummary(), fn.Warning)
	}
	msg := fmt.Sprintf("isolated %d of %s onto node pool %q", s.changed, plural(s.selected, "selected workload"), r.pool.Name)
	if s.alreadyIsolated > 0 {
		msg += fmt.Sprintf("; %d already isolated", s.alreadyIsolated)
	}
	if s.notWorkloads > 0 {
		msg += fmt.Sprintf("; skipped %s without a pod spec", plural(s.notWorkloads, "selected object"))
	}
	return fn.GeneralResult(msg+r.poolLabelSummary()+r.auditSummary(), fn.Info)
}

// auditSummary counts the findings per check, for the summary result.
func (r *isolation) auditSummary() string {
	var parts []string
	for _, check := range audit.Checks {
		if n := r.findings[check]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, check))
		}
	}
	if len(parts) == 0 {
		return "; audit: no findings"
	}
	return "; audit: " + strings.Join(parts, ", ")
}
