package config

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
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

// Audit sets the severity of each check (an empty value means the default)
// and lists the workloads whose privileges are acknowledged.
type Audit struct {
	WildcardTolerations     Severity `json:"wildcardTolerations,omitempty" yaml:"wildcardTolerations,omitempty"`
	PrivilegedTolerating    Severity `json:"privilegedTolerating,omitempty" yaml:"privilegedTolerating,omitempty"`
	PrivilegedOnSharedNodes Severity `json:"privilegedOnSharedNodes,omitempty" yaml:"privilegedOnSharedNodes,omitempty"`
	PreferNoSchedule        Severity `json:"preferNoSchedule,omitempty" yaml:"preferNoSchedule,omitempty"`
	NoExecuteEviction       Severity `json:"noExecuteEviction,omitempty" yaml:"noExecuteEviction,omitempty"`
	ManagedComponentsPool   Severity `json:"managedComponentsPool,omitempty" yaml:"managedComponentsPool,omitempty"`
	CrossPoolTolerations    Severity `json:"crossPoolTolerations,omitempty" yaml:"crossPoolTolerations,omitempty"`

	// Acknowledge lists workloads that must keep their privileges and run
	// everywhere (a CNI, a log or metrics agent). The function marks each
	// one's pod template, and the audit reports it as info.
	Acknowledge []Acknowledgement `json:"acknowledge,omitempty" yaml:"acknowledge,omitempty"`
}

// Acknowledgement selects workloads with the shape of a selector, and says
// why their privileges are accepted.
type Acknowledgement struct {
	selection.Selector `json:",inline" yaml:",inline"`
	Reason             string `json:"reason" yaml:"reason"`
}

// auditCheck is one check: its name (in config keys and result tags), its
// default and its field in Audit. The table is the one list of checks.
type auditCheck struct {
	name     string
	fallback Severity
	severity func(*Audit) *Severity
	// multiPool checks look at two pools or more, which the one-pool
	// ConfigMap shortcut cannot define, so it has no key for them.
	multiPool bool
}

var auditChecks = []auditCheck{
	{"wildcardTolerations", SeverityWarning, func(a *Audit) *Severity { return &a.WildcardTolerations }, false},
	{"privilegedTolerating", SeverityError, func(a *Audit) *Severity { return &a.PrivilegedTolerating }, false},
	{"privilegedOnSharedNodes", SeverityWarning, func(a *Audit) *Severity { return &a.PrivilegedOnSharedNodes }, false},
	{"preferNoSchedule", SeverityWarning, func(a *Audit) *Severity { return &a.PreferNoSchedule }, false},
	{"noExecuteEviction", SeverityInfo, func(a *Audit) *Severity { return &a.NoExecuteEviction }, false},
	{"managedComponentsPool", SeverityInfo, func(a *Audit) *Severity { return &a.ManagedComponentsPool }, false},
	{"crossPoolTolerations", SeverityWarning, func(a *Audit) *Severity { return &a.CrossPoolTolerations }, true},
}

// AuditChecks names every audit check, in the order results report them.
func AuditChecks() []string {
	out := make([]string, len(auditChecks))
	for i, c := range auditChecks {
		out[i] = c.name
	}
	return out
}

// Severities maps each check to its severity.
func (a Audit) Severities() map[string]Severity {
	out := make(map[string]Severity, len(auditChecks))
	for _, c := range auditChecks {
		out[c.name] = *c.severity(&a)
	}
	return out
}

// severityOf returns the field of the named check, or nil.
func (a *Audit) severityOf(check string) *Severity {
	for _, c := range auditChecks {
		if c.name == check {
			return c.severity(a)
		}
	}
	return nil
}

func (a *Audit) defaults() {
	for _, c := range auditChecks {
		if s := c.severity(a); *s == "" {
			*s = c.fallback
		}
	}
}

// validate checks the severities and the reasons, and compiles the
// acknowledgements' selectors.
func (a Audit) validate(path *field.Path) (*selection.Matcher, field.ErrorList) {
	var errs field.ErrorList
	for _, c := range auditChecks {
		if s := *c.severity(&a); !slices.Contains(severities, string(s)) {
			errs = append(errs, field.NotSupported(path.Child(c.name), s, severities))
		}
	}
	ackPath := path.Child("acknowledge")
	selectors := make([]selection.Selector, len(a.Acknowledge))
	for i, ack := range a.Acknowledge {
		selectors[i] = ack.Selector
		if strings.TrimSpace(ack.Reason) == "" {
			errs = append(errs, field.Required(ackPath.Index(i).Child("reason"),
				"say why these workloads need their privileges on every node; the reason is written next to the acknowledgement and quoted in the audit"))
		}
	}
	m, selErrs := selection.Compile(selectors, nil, ackPath, nil)
	return m, append(errs, selErrs...)
}
