package placement

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// Pool is what placement needs to know of the dedicated node pool.
type Pool struct {
	Name   string
	Taints []corev1.Taint
	Labels map[string]string
}

// Options says how to pin the workloads.
type Options struct {
	Affinity        config.AffinityMode
	PreferredWeight int32
	NodeSelector    bool
}

// FromConfig takes the pool and the options out of a defaulted config.
func FromConfig(w *config.WorkloadIsolation) (Pool, Options) {
	pool := Pool{Name: w.Spec.NodePool.Name, Taints: w.Spec.NodePool.CoreTaints(), Labels: w.Spec.NodePool.Labels}
	opts := Options{Affinity: w.Spec.Placement.NodeAffinity, NodeSelector: w.Spec.Placement.NodeSelector}
	if w.Spec.Placement.PreferredWeight != nil {
		opts.PreferredWeight = *w.Spec.Placement.PreferredWeight
	}
	return pool, opts
}

// Scheduling is the part of a pod spec that decides where the pod may run.
type Scheduling struct {
	Tolerations  []corev1.Toleration
	Affinity     *corev1.Affinity
	NodeSelector map[string]string
}
