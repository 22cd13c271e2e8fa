package config

import (
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
)

// enforcedConfig is validConfig with spec.enforcement, defaulted.
func enforcedConfig(actions ...admissionregistrationv1.ValidationAction) *WorkloadIsolation {
	w := validConfig()
	w.Spec.Enforcement = &Enforcement{ValidationActions: actions}
	w.Default()
	return w
}

func TestValidateEnforcement(t *testing.T) {
	const (
		deny  = admissionregistrationv1.Deny
		warn  = admissionregistrationv1.Warn
		audit = admissionregistrationv1.Audit
	)
	cases := []struct {
		name      string
		w         *WorkloadIsolation
		mutate    func(*WorkloadIsolation)
		wantField string // empty: valid
	}{
		{"valid-deny", enforcedConfig(deny), nil, ""},
		{"valid-warn-audit", enforcedConfig(warn, audit), nil, ""},
		{"valid-deny-audit", enforcedConfig(deny, audit), nil, ""},
		{"valid-audit-only", enforcedConfig(audit), nil, ""},
		{"valid-node-selector-pins-preferred", enforcedConfig(deny), func(w *WorkloadIsolation) {
			w.Spec.Placement = Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(10)), NodeSelector: true}
		}, ""},
		{"valid-no-acknowledged-namespaces", enforcedConfig(deny), func(w *WorkloadIsolation) { w.Spec.Enforcement.AcknowledgedNamespaces = []string{} }, ""},

		{"invalid-no-actions", enforcedConfig(), nil, "spec.enforcement.validationActions"},
		{"invalid-deny-and-warn", enforcedConfig(deny, warn), nil, "spec.enforcement.validationActions"},
		{"invalid-unknown-action", enforcedConfig("deny"), nil, "spec.enforcement.validationActions[0]"},
		{"invalid-duplicate-action", enforcedConfig(audit, audit), nil, "spec.enforcement.validationActions[1]"},
		{"invalid-namespace", enforcedConfig(deny), func(w *WorkloadIsolation) { w.Spec.Enforcement.AcknowledgedNamespaces = []string{"kube_system"} }, "spec.enforcement.acknowledgedNamespaces[0]"},
		{"invalid-preferred-affinity", enforcedConfig(deny), func(w *WorkloadIsolation) {
			w.Spec.Placement = Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(10))}
		}, "spec.enforcement"},
		{"invalid-only-prefer-no-schedule", enforcedConfig(deny), func(w *WorkloadIsolation) {
			w.Spec.NodePool.Taints[0].Effect = corev1.TaintEffectPreferNoSchedule
		}, "spec.enforcement"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.mutate != nil {
				tc.mutate(tc.w)
			}
			errs := tc.w.Validate()
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			switch {
			case tc.wantField == "" && len(errs) > 0:
				t.Errorf("want valid, got %v", errs)
			case tc.wantField != "" && !slices.Contains(fields, tc.wantField):
				t.Errorf("want an error at %s, got %v", tc.wantField, errs)
			}
		})
	}
}

// An absent list means kube-system; an explicit empty list stays empty, so a
// user can honour no acknowledgement at all.
func TestEnforcementDefaults(t *testing.T) {
	w := enforcedConfig(admissionregistrationv1.Deny)
	if got := w.Spec.Enforcement.AcknowledgedNamespaces; !slices.Equal(got, []string{"kube-system"}) {
		t.Errorf("default acknowledgedNamespaces %v", got)
	}
	w.Spec.Enforcement.AcknowledgedNamespaces = []string{}
	w.Default()
	if got := w.Spec.Enforcement.AcknowledgedNamespaces; len(got) != 0 {
		t.Errorf("an explicit empty list became %v", got)
	}
	if w := validConfig(); w.Spec.Enforcement != nil {
		t.Errorf("defaulting added spec.enforcement")
	}
}

func TestLoadEmptyAcknowledgedNamespaces(t *testing.T) {
	for text, want := range map[string][]string{
		"validationActions: [Deny]": {"kube-system"},
		`validationActions: [Deny]
    acknowledgedNamespaces: []`: {},
		`validationActions: [Deny]
    acknowledgedNamespaces: [ops]`: {"ops"},
	} {
		w, errs := Load(parse(t, `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
spec:
  nodePool:
    name: p
    taints: [{key: k, effect: NoSchedule}]
    labels: {k: v}
  selectors: [{}]
  enforcement:
    `+text+"\n"))
		if len(errs) > 0 {
			t.Fatalf("%s: %v", text, errs)
		}
		if got := w.Spec.Enforcement.AcknowledgedNamespaces; !slices.Equal(got, want) {
			t.Errorf("%s: acknowledgedNamespaces %v, want %v", text, got, want)
		}
	}
}
