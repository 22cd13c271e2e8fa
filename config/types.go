package config

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/selection"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// The functionConfig's group, version and kind.
const (
	Group      = "fn.kpt.dev"
	Version    = "v1alpha1"
	Kind       = "WorkloadIsolation"
	APIVersion = Group + "/" + Version
)

// AffinityMode says which node affinity the selected workloads get.
type AffinityMode string

// The affinity modes.
const (
	// AffinityRequired adds requiredDuringSchedulingIgnoredDuringExecution:
	// the workload runs on the pool and nowhere else.
	AffinityRequired AffinityMode = "Required"
	// AffinityPreferred adds a preferredDuringSchedulingIgnoredDuringExecution
	// term: the workload may still run elsewhere.
	AffinityPreferred AffinityMode = "Preferred"
	// AffinityNone adds tolerations only.
	AffinityNone AffinityMode = "None"
)

// DefaultPreferredWeight is the weight of the preferred term when none is given.
const DefaultPreferredWeight int32 = 100

// WorkloadIsolation is the functionConfig.
type WorkloadIsolation struct {
	metav1.TypeMeta `json:",inline" yaml:"-"`
	Metadata        Metadata `json:"metadata,omitempty" yaml:"metadata,omitempty"`
	Spec            Spec     `json:"spec" yaml:"spec"`

	// The pools and acknowledgements resolved and compiled by Validate, so
	// that a run compiles them once.
	pools        []Pool
	excluded     *selection.Matcher
	acknowledged *selection.Matcher
}

// AcknowledgeMatcher matches spec.audit.acknowledge, one selector per entry
// in order. It is set by Validate (which Load runs), and nil before.
func (w *WorkloadIsolation) AcknowledgeMatcher() *selection.Matcher { return w.acknowledged }

// Metadata is the part of ObjectMeta a functionConfig carries.
type Metadata struct {
	Name        string            `json:"name,omitempty" yaml:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
}

// Spec is what to isolate and where. It takes one of two forms: one pool
// (nodePool with selectors) or several (nodePools, each with its own
// selectors). The other fields apply to every pool.
type Spec struct {
	NodePool               *NodePool              `json:"nodePool,omitempty" yaml:"nodePool,omitempty"`
	NodePools              []PoolSpec             `json:"nodePools,omitempty" yaml:"nodePools,omitempty"`
	Placement              Placement              `json:"placement,omitempty" yaml:"placement,omitempty"`
	Selectors              []Selector             `json:"selectors,omitempty" yaml:"selectors,omitempty"`
	Excludes               []selection.Selector   `json:"excludes,omitempty" yaml:"excludes,omitempty"`
	AdditionalPodSpecPaths []workload.PodSpecPath `json:"additionalPodSpecPaths,omitempty" yaml:"additionalPodSpecPaths,omitempty"`
	Audit                  Audit                  `json:"audit,omitempty" yaml:"audit,omitempty"`
	SystemNodePool         *SystemNodePool        `json:"systemNodePool,omitempty" yaml:"systemNodePool,omitempty"`
	Enforcement            *Enforcement           `json:"enforcement,omitempty" yaml:"enforcement,omitempty"`
}

// NodePool is the dedicated, tainted and labelled pool.
type NodePool struct {
	Name   string            `json:"name" yaml:"name"`
	Taints []Taint           `json:"taints" yaml:"taints"`
	Labels map[string]string `json:"labels" yaml:"labels"`

	// Emit names the targets to emit; absent means every target whose
	// block below is present.
	Emit            []string         `json:"emit,omitempty" yaml:"emit,omitempty"`
	GKEOnAWS        *GKEOnAWS        `json:"gkeOnAWS,omitempty" yaml:"gkeOnAWS,omitempty"`
	Karpenter       *Karpenter       `json:"karpenter,omitempty" yaml:"karpenter,omitempty"`
	ConfigConnector *ConfigConnector `json:"configConnector,omitempty" yaml:"configConnector,omitempty"`
	Crossplane      *Crossplane      `json:"crossplane,omitempty" yaml:"crossplane,omitempty"`
	CAPA            *CAPA            `json:"capa,omitempty" yaml:"capa,omitempty"`
}

// PoolSpec is one item of spec.nodePools: a pool and the workloads it takes.
type PoolSpec struct {
	NodePool  `json:",inline" yaml:",inline"`
	Selectors []Selector           `json:"selectors" yaml:"selectors"`
	Excludes  []selection.Selector `json:"excludes,omitempty" yaml:"excludes,omitempty"`
	// Placement replaces spec.placement for this pool's workloads.
	Placement *Placement `json:"placement,omitempty" yaml:"placement,omitempty"`
}

// Selector picks workloads for a pool. Its placement, when given, replaces
// the pool's for the workloads it picks: a DaemonSet that must tolerate the
// pool but run on every node takes {nodeAffinity: None}.
type Selector struct {
	selection.Selector `json:",inline" yaml:",inline"`
	Placement          *Placement `json:"placement,omitempty" yaml:"placement,omitempty"`
}

// Taint is a node taint of the pool.
type Taint struct {
	Key    string             `json:"key" yaml:"key"`
	Value  string             `json:"value,omitempty" yaml:"value,omitempty"`
	Effect corev1.TaintEffect `json:"effect" yaml:"effect"`
}

// CoreTaints returns the pool's taints as the Kubernetes API type.
func (p NodePool) CoreTaints() []corev1.Taint {
	out := make([]corev1.Taint, 0, len(p.Taints))
	for _, t := range p.Taints {
		out = append(out, corev1.Taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}
	return out
}

// SystemNodePool is a second pool, reserved for the cluster's managed
// components, so that they share nodes with neither the isolated workloads
// nor the other workloads.
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

// Placement says how the selected workloads are pinned to the pool. A
// placement given on a selector or a pool replaces the less specific one as
// a whole; the fields it leaves out take their defaults.
type Placement struct {
	NodeAffinity    AffinityMode `json:"nodeAffinity,omitempty" yaml:"nodeAffinity,omitempty"`
	PreferredWeight *int32       `json:"preferredWeight,omitempty" yaml:"preferredWeight,omitempty"`
	NodeSelector    bool         `json:"nodeSelector,omitempty" yaml:"nodeSelector,omitempty"`
}

// Pins reports whether the placement keeps the workloads on the pool.
func (p Placement) Pins() bool { return p.NodeAffinity == AffinityRequired || p.NodeSelector }

// TolerateOnly reports whether the placement only lets the workloads onto
// the pool, and leaves them free to run anywhere else.
func (p Placement) TolerateOnly() bool { return p.NodeAffinity == AffinityNone && !p.NodeSelector }
