package config

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Severity of an audit check. Off disables it.
type Severity string

// The audit severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
	SeverityOff     Severity = "off"
)

var severities = []string{string(SeverityError), string(SeverityWarning), string(SeverityInfo), string(SeverityOff)}

// Audit sets the severity of each check. An empty value means the default.
type Audit struct {
	WildcardTolerations     Severity `json:"wildcardTolerations,omitempty" yaml:"wildcardTolerations,omitempty"`
	PrivilegedTolerating    Severity `json:"privilegedTolerating,omitempty" yaml:"privilegedTolerating,omitempty"`
	PrivilegedOnSharedNodes Severity `json:"privilegedOnSharedNodes,omitempty" yaml:"privilegedOnSharedNodes,omitempty"`
	PreferNoSchedule        Severity `json:"preferNoSchedule,omitempty" yaml:"preferNoSchedule,omitempty"`
	NoExecuteEviction       Severity `json:"noExecuteEviction,omitempty" yaml:"noExecuteEviction,omitempty"`
	ManagedComponentsPool   Severity `json:"managedComponentsPool,omitempty" yaml:"managedComponentsPool,omitempty"`
}

// SystemNodePool is the seed's advice: a pool reserved for managed components.
type SystemNodePool struct {
	Name string `json:"name" yaml:"name"`
	// Taint defaults to components.gke.io/gke-managed-components=true:NoSchedule.
	TaintValue  string             `json:"taintValue,omitempty" yaml:"taintValue,omitempty"`
	TaintEffect corev1.TaintEffect `json:"taintEffect,omitempty" yaml:"taintEffect,omitempty"`
	Labels      map[string]string  `json:"labels,omitempty" yaml:"labels,omitempty"`
}

// SystemPoolTaintKey is the taint GKE uses to reserve nodes for managed components.
const SystemPoolTaintKey = "components.gke.io/gke-managed-components"

// NodePool returns the system pool as a pool of its own, with the provider
// blocks of the dedicated pool.
func (s SystemNodePool) NodePool(like NodePool) NodePool {
	like.Name = s.Name
	like.Taints = []Taint{{Key: SystemPoolTaintKey, Value: s.TaintValue, Effect: s.TaintEffect}}
	like.Labels = s.Labels
	return like
}

func (a *Audit) defaults() {
	set := func(s *Severity, def Severity) {
		if *s == "" {
			*s = def
		}
	}
	set(&a.WildcardTolerations, SeverityWarning)
	set(&a.PrivilegedTolerating, SeverityError)
	set(&a.PrivilegedOnSharedNodes, SeverityWarning)
	set(&a.PreferNoSchedule, SeverityWarning)
	set(&a.NoExecuteEviction, SeverityInfo)
	set(&a.ManagedComponentsPool, SeverityInfo)
}

func (a Audit) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for name, s := range map[string]Severity{
		"wildcardTolerations": a.WildcardTolerations, "privilegedTolerating": a.PrivilegedTolerating,
		"privilegedOnSharedNodes": a.PrivilegedOnSharedNodes, "preferNoSchedule": a.PreferNoSchedule,
		"noExecuteEviction": a.NoExecuteEviction, "managedComponentsPool": a.ManagedComponentsPool,
	} {
		if !slices.Contains(severities, string(s)) {
			errs = append(errs, field.NotSupported(path.Child(name), s, severities))
		}
	}
	slices.SortFunc(errs, func(x, y *field.Error) int { return strings.Compare(x.Field, y.Field) })
	return errs
}

func validateSystemNodePool(p *SystemNodePool, path *field.Path) field.ErrorList {
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
