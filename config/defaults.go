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
	w.Spec.Placement.defaults()
	defaultSelectors(w.Spec.Selectors)
	for i := range w.Spec.NodePools {
		ps := &w.Spec.NodePools[i]
		if ps.Placement != nil {
			ps.Placement.defaults()
		}
		defaultSelectors(ps.Selectors)
	}
}

func defaultSelectors(selectors []Selector) {
	for i := range selectors {
		if p := selectors[i].Placement; p != nil {
			p.defaults()
		}
	}
}

func (p *Placement) defaults() {
	if p.NodeAffinity == "" {
		p.NodeAffinity = AffinityRequired
	}
	if p.NodeAffinity == AffinityPreferred && p.PreferredWeight == nil {
		weight := DefaultPreferredWeight
		p.PreferredWeight = &weight
	}
}
