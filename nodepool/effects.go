package nodepool

import (
	corev1 "k8s.io/api/core/v1"
)

// effectSpellings is the one place taint effects are translated: Kubernetes
// spells them NoSchedule, the Google APIs NO_SCHEDULE, Cluster API AWS
// no-schedule.
var effectSpellings = map[corev1.TaintEffect]struct{ googleAPI, capa string }{
	corev1.TaintEffectNoSchedule:       {"NO_SCHEDULE", "no-schedule"},
	corev1.TaintEffectPreferNoSchedule: {"PREFER_NO_SCHEDULE", "prefer-no-schedule"},
	corev1.TaintEffectNoExecute:        {"NO_EXECUTE", "no-execute"},
}

// googleAPIEffect spells an effect for the GKE Multi-Cloud API, Config
// Connector and Crossplane's GCP provider.
func googleAPIEffect(e corev1.TaintEffect) string { return effectSpellings[e].googleAPI }

// capaEffect spells an effect for Cluster API AWS.
func capaEffect(e corev1.TaintEffect) string { return effectSpellings[e].capa }
