package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

// MaxPoolNameLength is the longest node-pool name accepted. GKE on AWS allows
// 40 characters, the tightest limit among the supported providers.
const MaxPoolNameLength = 40

var taintEffects = []string{
	string(corev1.TaintEffectNoSchedule),
	string(corev1.TaintEffectPreferNoSchedule),
	string(corev1.TaintEffectNoExecute),
}

var affinityModes = []string{string(AffinityRequired), string(AffinityPreferred), string(AffinityNone)}

// Validate returns every problem of a defaulted config at once, each part
// validating itself, and resolves the pools and compiles the selectors for
// the run.
func (w *WorkloadIsolation) Validate() field.ErrorList {
	spec := field.NewPath("spec")
	errs := w.resolvePools(spec)
	for i := range w.pools {
		errs = append(errs, w.validatePool(i)...)
	}
	if w.MultiPool() {
		errs = append(errs, validatePlacement(w.Spec.Placement, spec.Child("placement"))...)
	}
	var excErrs, ackErrs field.ErrorList
	w.excluded, excErrs = selection.Compile(nil, w.Spec.Excludes, nil, spec.Child("excludes"))
	errs = append(errs, excErrs...)
	errs = append(errs, w.validatePoolsApart()...)
	errs = append(errs, validatePodSpecPaths(w, spec.Child("additionalPodSpecPaths"))...)
	w.acknowledged, ackErrs = w.Spec.Audit.validate(spec.Child("audit"))
	errs = append(errs, ackErrs...)
	errs = append(errs, w.Spec.SystemNodePool.validate(spec.Child("systemNodePool"))...)
	errs = append(errs, w.validateEnforcement(spec.Child("enforcement"))...)
	if len(errs) > 0 {
		w.pools, w.excluded, w.acknowledged = nil, nil, nil
	}
	return errs
}

func validateNodePool(p NodePool, path *field.Path) field.ErrorList {
	errs := validatePoolName(p.Name, path.Child("name"))

	taintsPath := path.Child("taints")
	if len(p.Taints) == 0 {
		errs = append(errs, field.Required(taintsPath, "at least one taint is required, or other pods can use the pool"))
	}
	// The API server identifies a node taint by key and effect.
	seen := map[string]int{}
	for i, t := range p.Taints {
		tp := taintsPath.Index(i)
		errs = append(errs, validateQualifiedName(t.Key, tp.Child("key"))...)
		for _, msg := range validation.IsValidLabelValue(t.Value) {
			errs = append(errs, field.Invalid(tp.Child("value"), t.Value, msg))
		}
		if !slices.Contains(taintEffects, string(t.Effect)) {
			errs = append(errs, field.NotSupported(tp.Child("effect"), t.Effect, taintEffects))
		}
		id := t.Key + ":" + string(t.Effect)
		if first, dup := seen[id]; dup {
			errs = append(errs, field.Duplicate(tp, fmt.Sprintf("key %q with effect %s is already at %s", t.Key, t.Effect, taintsPath.Index(first))))
		} else {
			seen[id] = i
		}
	}

	labelsPath := path.Child("labels")
	if len(p.Labels) == 0 {
		errs = append(errs, field.Required(labelsPath, "at least one label is required; node affinity selects the pool by it"))
	}
	errs = append(errs, validateLabels(p.Labels, labelsPath)...)
	return errs
}

func validateLabels(l map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(l)) {
		errs = append(errs, validateQualifiedName(k, path.Key(k))...)
		for _, msg := range validation.IsValidLabelValue(l[k]) {
			errs = append(errs, field.Invalid(path.Key(k), l[k], msg))
		}
	}
	return errs
}

func validatePoolName(name string, path *field.Path) field.ErrorList {
	switch {
	case name == "":
		return field.ErrorList{field.Required(path, "the node pool needs a name")}
	case len(name) > MaxPoolNameLength:
		return field.ErrorList{field.TooLong(path, name, MaxPoolNameLength)}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsDNS1123Label(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func validateQualifiedName(name string, path *field.Path) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(path, "")}
	}
	var errs field.ErrorList
	for _, msg := range validation.IsQualifiedName(name) {
		errs = append(errs, field.Invalid(path, name, msg))
	}
	return errs
}

func validatePlacement(p Placement, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if !slices.Contains(affinityModes, string(p.NodeAffinity)) {
		errs = append(errs, field.NotSupported(path.Child("nodeAffinity"), p.NodeAffinity, affinityModes))
	}
	if p.PreferredWeight != nil {
		w := *p.PreferredWeight
		switch {
		case p.NodeAffinity != AffinityPreferred:
			errs = append(errs, field.Invalid(path.Child("preferredWeight"), w,
				fmt.Sprintf("applies only when nodeAffinity is %s, not %s", AffinityPreferred, p.NodeAffinity)))
		case w < 1 || w > 100:
			errs = append(errs, field.Invalid(path.Child("preferredWeight"), w, "must be between 1 and 100"))
		}
	}
	return errs
}

func validatePodSpecPaths(w *WorkloadIsolation, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, p := range w.Spec.AdditionalPodSpecPaths {
		pp := path.Index(i)
		if p.Kind == "" {
			errs = append(errs, field.Required(pp.Child("kind"), ""))
		}
		if p.Path == "" {
			errs = append(errs, field.Required(pp.Child("path"), "the slash-separated path of the pod spec, e.g. spec/template/spec"))
			continue
		}
		for _, f := range p.Fields() {
			if f == "" {
				errs = append(errs, field.Invalid(pp.Child("path"), p.Path, "must not contain empty segments"))
				break
			}
		}
		if strings.ContainsAny(p.Path, "[]") {
			errs = append(errs, field.Invalid(pp.Child("path"), p.Path, "list indexes are not supported; the path must lead through maps"))
		}
	}
	return errs
}

func (p *SystemNodePool) validate(path *field.Path) field.ErrorList {
	if p == nil {
		return nil
	}
	errs := validatePoolName(p.Name, path.Child("name"))
	for _, msg := range validation.IsValidLabelValue(p.TaintValue) {
		errs = append(errs, field.Invalid(path.Child("taintValue"), p.TaintValue, msg))
	}
	if !slices.Contains(taintEffects, string(p.TaintEffect)) {
		errs = append(errs, field.NotSupported(path.Child("taintEffect"), p.TaintEffect, taintEffects))
	}
	errs = append(errs, validateLabels(p.Labels, path.Child("labels"))...)
	return errs
}
