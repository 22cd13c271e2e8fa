package config

// Default fills in what the user may leave out. It is idempotent.
func (w *WorkloadIsolation) Default() {
	w.Spec.Audit.defaults()
	p := &w.Spec.Placement
	if p.NodeAffinity == "" {
		p.NodeAffinity = AffinityRequired
	}
	if p.NodeAffinity == AffinityPreferred && p.PreferredWeight == nil {
		weight := DefaultPreferredWeight
		p.PreferredWeight = &weight
	}
}
