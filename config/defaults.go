package config

import corev1 "k8s.io/api/core/v1"

// Default fills in what the user may leave out. It is idempotent.
func (w *WorkloadIsolation) Default() {
	w.Spec.Audit.defaults()
	w.Spec.Enforcement.defaults()
	if s := w.Spec.SystemNodePool; s != nil {
		if s.TaintValue == "" {
			s.TaintValue = "true"
		}
		if s.TaintEffect == "" {
			s.TaintEffect = corev1.TaintEffectNoSchedule
		}
	}
	p := &w.Spec.Placement
	if p.NodeAffinity == "" {
		p.NodeAffinity = AffinityRequired
	}
	if p.NodeAffinity == AffinityPreferred && p.PreferredWeight == nil {
		weight := DefaultPreferredWeight
		p.PreferredWeight = &weight
	}
}
