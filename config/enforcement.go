package config

import (
	"fmt"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Enforcement makes the cluster keep the isolation true after the sync: the
// function emits a ValidatingAdmissionPolicy and its binding for the pool.
type Enforcement struct {
	// ValidationActions are the binding's: Deny, Warn and Audit.
	ValidationActions []admissionregistrationv1.ValidationAction `json:"validationActions" yaml:"validationActions"`
	// AcknowledgedNamespaces are where a pod's privilege acknowledgement
	// (label and reason annotation) exempts it from the rule against
	// privileged pods that tolerate the pool. Absent means kube-system; an
	// empty list honours no acknowledgement.
	AcknowledgedNamespaces []string `json:"acknowledgedNamespaces,omitempty" yaml:"acknowledgedNamespaces,omitempty"`
}

// DefaultAcknowledgedNamespaces is where acknowledgements count when the
// config names no namespace: the cluster's own agents (CNI, log and metrics
// daemons) run there, privileged, on every node.
var DefaultAcknowledgedNamespaces = []string{"kube-system"}

var validationActions = []string{
	string(admissionregistrationv1.Deny), string(admissionregistrationv1.Warn), string(admissionregistrationv1.Audit),
}

func (e *Enforcement) defaults() {
	if e != nil && e.AcknowledgedNamespaces == nil {
		e.AcknowledgedNamespaces = slices.Clone(DefaultAcknowledgedNamespaces)
	}
}

func (w *WorkloadIsolation) validateEnforcement(path *field.Path) field.ErrorList {
	e := w.Spec.Enforcement
	if e == nil {
		return nil
	}
	var errs field.ErrorList
	actionsPath := path.Child("validationActions")
	if len(e.ValidationActions) == 0 {
		errs = append(errs, field.Required(actionsPath, "one or more of "+strings.Join(validationActions, ", ")+", as in a ValidatingAdmissionPolicyBinding; start with [Warn] to see what would be denied"))
	}
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	for i, a := range e.ValidationActions {
		switch {
		case !slices.Contains(validationActions, string(a)):
			errs = append(errs, field.NotSupported(actionsPath.Index(i), a, validationActions))
		case seen[a]:
			errs = append(errs, field.Duplicate(actionsPath.Index(i), a))
		}
		seen[a] = true
	}
	// The API server rejects a binding with both: a denied request has no
	// warning to show.
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		errs = append(errs, field.Invalid(actionsPath, e.ValidationActions, "Deny and Warn cannot be used together; use [Deny] or [Warn], each with or without Audit"))
	}
	nsPath := path.Child("acknowledgedNamespaces")
	for i, ns := range e.AcknowledgedNamespaces {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, field.Invalid(nsPath.Index(i), ns, msg))
		}
	}
	errs = append(errs, w.validateEnforcedPool(path)...)
	return errs
}

// validateEnforcedPool rejects the configs whose own output the policy would
// deny, or whose policy would protect nothing, pool by pool.
func (w *WorkloadIsolation) validateEnforcedPool(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	reported := map[string]bool{}
	for _, p := range w.pools {
		keepsPodsOut := slices.ContainsFunc(p.Taints, func(t Taint) bool {
			return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
		})
		if len(p.Taints) > 0 && !keepsPodsOut {
			errs = append(errs, field.Invalid(path, field.OmitValueType{}, fmt.Sprintf(
				"the policy guards the pool's NoSchedule and NoExecute taints, and %s has neither: every pod may run on the pool, so there is nothing to enforce", p.Path.Child("taints"))))
		}
		// spec.placement, shared by the pools without their own, is
		// reported once.
		if at := p.PlacementPath.String(); !p.Placement.Pins() && !reported[at] {
			reported[at] = true
			errs = append(errs, unpinned(path, p.PlacementPath, p.Placement))
		}
		for j, s := range p.Selectors {
			// A selector that only tolerates the pool puts no pool label on
			// its pods, so the policy does not hold them to the pool.
			if pl := s.Placement; pl != nil && !pl.Pins() && !pl.TolerateOnly() {
				errs = append(errs, unpinned(path, p.SelectorsPath.Index(j).Child("placement"), *pl))
			}
		}
	}
	return errs
}

func unpinned(path, placementPath *field.Path, p Placement) *field.Error {
	return field.Invalid(path, field.OmitValueType{}, fmt.Sprintf(
		"the policy requires pods labelled for the pool to be pinned to it, and %s.nodeAffinity %s does not pin them: "+
			"use nodeAffinity %s or nodeSelector: true", placementPath, p.NodeAffinity, AffinityRequired))
}
