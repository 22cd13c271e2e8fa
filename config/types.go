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
}

// Metadata is the part of ObjectMeta a functionConfig carries.
type Metadata struct {
	Name        string            `json:"name,omitempty" yaml:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty" yaml:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty" yaml:"annotations,omitempty"`
}

// Spec is what to isolate and where.
type Spec struct {
	NodePool               NodePool               `json:"nodePool" yaml:"nodePool"`
	Placement              Placement              `json:"placement,omitempty" yaml:"placement,omitempty"`
	Selectors              []selection.Selector   `json:"selectors" yaml:"selectors"`
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

// Placement says how the selected workloads are pinned to the pool.
type Placement struct {
	NodeAffinity    AffinityMode `json:"nodeAffinity,omitempty" yaml:"nodeAffinity,omitempty"`
	PreferredWeight *int32       `json:"preferredWeight,omitempty" yaml:"preferredWeight,omitempty"`
	NodeSelector    bool         `json:"nodeSelector,omitempty" yaml:"nodeSelector,omitempty"`
}
