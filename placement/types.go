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

// PoolOf is what placement needs of a config's pool.
func PoolOf(p config.NodePool) Pool {
	return Pool{Name: p.Name, Taints: p.CoreTaints(), Labels: p.Labels}
}

// PoolsOf is PoolOf for every pool of a validated config, in its order.
func PoolsOf(cfg *config.WorkloadIsolation) []Pool {
	var out []Pool
	for _, p := range cfg.Pools() {
		out = append(out, PoolOf(p.NodePool))
	}
	return out
}

// OptionsOf takes the options out of a defaulted placement.
func OptionsOf(p config.Placement) Options {
	opts := Options{Affinity: p.NodeAffinity, NodeSelector: p.NodeSelector}
	if p.PreferredWeight != nil {
		opts.PreferredWeight = *p.PreferredWeight
	}
	return opts
}

// Scheduling is the part of a pod spec that decides where the pod may run.
type Scheduling struct {
	Tolerations  []corev1.Toleration
	Affinity     *corev1.Affinity
	NodeSelector map[string]string
}
