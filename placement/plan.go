package placement

import (
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/text"
)

// Plan is every change one pod spec needs. It is computed from typed values
// first and applied to YAML only when the whole run has no error, so a failed
// run never leaves half its changes behind.
type Plan struct {
	AddTolerations  []corev1.Toleration
	Required        RequiredMerge
	Preferred       PreferredMerge
	AddNodeSelector map[string]string
	// Unreachable is set when the workload's own requirements keep it off
	// the pool and its placement does not pin it: it keeps running
	// elsewhere, and nothing is planned for it.
	Unreachable bool
	// Warnings are problems the plan leaves in place: required terms that
	// match no node (the pod can use only its other terms), and a NoExecute
	// toleration that ends. They do not stop the run.
	Warnings field.ErrorList
}

// Empty reports whether the pod spec is isolated already.
func (p Plan) Empty() bool {
	return len(p.AddTolerations) == 0 && p.Required.Empty() && p.Preferred.Empty() && len(p.AddNodeSelector) == 0
}

// Summary says what the plan adds, for the per-workload result.
func (p Plan) Summary() string {
	var parts []string
	if n := len(p.AddTolerations); n > 0 {
		parts = append(parts, text.Plural(n, "toleration"))
	}
	if p.Required.NewTerm != nil {
		parts = append(parts, "a required node affinity term")
	} else if n := countRequirements(p.Required); n > 0 {
		parts = append(parts, text.Plural(n, "required node affinity expression"))
	}
	if p.Preferred.Add != nil {
		parts = append(parts, "a preferred node affinity term")
	} else if p.Preferred.SetWeight != nil {
		parts = append(parts, fmt.Sprintf("preferred weight %d", *p.Preferred.SetWeight))
	}
	if n := len(p.AddNodeSelector); n > 0 {
		parts = append(parts, text.Plural(n, "nodeSelector label"))
	}
	switch len(parts) {
	case 0:
		return "nothing"
	case 1:
		return parts[0]
	}
	out := parts[0]
	for _, s := range parts[1 : len(parts)-1] {
		out += ", " + s
	}
	return out + " and " + parts[len(parts)-1]
}

func countRequirements(m RequiredMerge) int {
	n := 0
	for _, add := range m.AddToTerm {
		n += len(add)
	}
	return n
}

// PlanFor computes what s needs to run on the pool and only there. path is
// the pod spec's own path, for the errors.
func PlanFor(s Scheduling, pool Pool, opts Options, path *field.Path) (Plan, field.ErrorList) {
	var errs field.ErrorList
	plan := Plan{AddTolerations: MissingTolerations(s.Tolerations, pool.Taints)}
	reqs := Requirements(pool.Labels)
	switch opts.Affinity {
	case config.AffinityRequired:
		plan.Required = MergeRequiredAffinity(requiredSelector(s.Affinity), reqs)
	case config.AffinityPreferred:
		plan.Preferred = MergePreferredAffinity(preferredTerms(s.Affinity), reqs, opts.PreferredWeight)
	}
	if opts.NodeSelector {
		add, e := MergeNodeSelector(s.NodeSelector, pool.Labels, path.Child("nodeSelector"))
		errs = append(errs, e...)
		if len(add) > 0 {
			plan.AddNodeSelector = add
		}
	}
	if len(errs) > 0 {
		return Plan{}, errs
	}
	after := plan.Apply(s)
	if f := PoolFit(after, pool); !f.Fits {
		conflict := fmt.Sprintf("no node of pool %q can satisfy this workload's node affinity and nodeSelector together with the pool's labels %s (%s)",
			pool.Name, labels.Set(pool.Labels), f.Reasons())
		// Only a pinned workload is kept off every other node; an unpinned
		// one still runs where its own requirements allow.
		if opts.Affinity != config.AffinityRequired && !opts.NodeSelector {
			return Plan{Unreachable: true, Warnings: field.ErrorList{field.Invalid(conflictPath(f, path), field.OmitValueType{}, fmt.Sprintf(
				"%s; with nodeAffinity %s it keeps running elsewhere but never on the pool, so it is left unchanged. Remove the contradicting requirement or exclude the workload",
				conflict, opts.Affinity))}}, nil
		}
		errs = append(errs, field.Invalid(conflictPath(f, path), field.OmitValueType{},
			conflict+"; it would stay Pending. Remove the contradicting requirement or exclude the workload"))
		return Plan{}, errs
	}
	terms := path.Child("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	for _, d := range DeadTerms(after) {
		plan.Warnings = append(plan.Warnings, field.Invalid(terms.Index(d.Index), field.OmitValueType{},
			"after isolation this term matches no node ("+d.Reason+"); the scheduler can use only the other terms. Fix or remove it"))
	}
	plan.Warnings = append(plan.Warnings, boundedNoExecute(s.Tolerations, pool.Taints, path.Child("tolerations"))...)
	return plan, nil
}

// conflictPath points at what keeps the pod off the pool.
func conflictPath(f Fit, path *field.Path) *field.Path {
	if f.NodeSelector == "" {
		return path.Child("affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution")
	}
	return path.Child("nodeSelector")
}

func requiredSelector(a *corev1.Affinity) *corev1.NodeSelector {
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
}

func preferredTerms(a *corev1.Affinity) []corev1.PreferredSchedulingTerm {
	if a == nil || a.NodeAffinity == nil {
		return nil
	}
	return a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
}

// Apply returns s with the plan applied. It leaves s itself unchanged.
func (p Plan) Apply(s Scheduling) Scheduling {
	out := Scheduling{
		Tolerations:  append(append([]corev1.Toleration{}, s.Tolerations...), p.AddTolerations...),
		NodeSelector: maps.Clone(s.NodeSelector),
	}
	if s.Affinity != nil {
		out.Affinity = s.Affinity.DeepCopy()
	}
	if len(p.AddNodeSelector) > 0 {
		if out.NodeSelector == nil {
			out.NodeSelector = map[string]string{}
		}
		maps.Copy(out.NodeSelector, p.AddNodeSelector)
	}
	if p.Required.Empty() && p.Preferred.Empty() {
		return out
	}
	if out.Affinity == nil {
		out.Affinity = &corev1.Affinity{}
	}
	if out.Affinity.NodeAffinity == nil {
		out.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := out.Affinity.NodeAffinity
	if p.Required.NewTerm != nil {
		if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
			na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{}
		}
		na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms = []corev1.NodeSelectorTerm{*p.Required.NewTerm}
	}
	for i, add := range p.Required.AddToTerm {
		term := &na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[i]
		term.MatchExpressions = append(term.MatchExpressions, add...)
	}
	if p.Preferred.Add != nil {
		na.PreferredDuringSchedulingIgnoredDuringExecution = append(na.PreferredDuringSchedulingIgnoredDuringExecution, *p.Preferred.Add)
	}
	if p.Preferred.SetWeight != nil {
		na.PreferredDuringSchedulingIgnoredDuringExecution[p.Preferred.Index].Weight = *p.Preferred.SetWeight
	}
	return out
}
