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
	metav1.TypeMeta `json:",inline"`
	Metadata        Metadata `json:"metadata,omitempty"`
	Spec            Spec     `json:"spec"`
}

// Metadata is the part of ObjectMeta a functionConfig carries.
type Metadata struct {
	Name        string            `json:"name,omitempty"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Spec is what to isolate and where.
type Spec struct {
	NodePool               NodePool               `json:"nodePool"`
	Placement              Placement              `json:"placement,omitempty"`
	Selectors              []selection.Selector   `json:"selectors"`
	Excludes               []selection.Selector   `json:"excludes,omitempty"`
	AdditionalPodSpecPaths []workload.PodSpecPath `json:"additionalPodSpecPaths,omitempty"`
	Audit                  Audit                  `json:"audit,omitempty"`
	SystemNodePool         *SystemNodePool        `json:"systemNodePool,omitempty"`
}

// NodePool is the dedicated, tainted and labelled pool.
type NodePool struct {
	Name   string            `json:"name"`
	Taints []Taint           `json:"taints"`
	Labels map[string]string `json:"labels"`

	// Emit names the targets to emit; absent means every target whose
	// block below is present.
	Emit            []string         `json:"emit,omitempty"`
	GKEOnAWS        *GKEOnAWS        `json:"gkeOnAWS,omitempty"`
	Karpenter       *Karpenter       `json:"karpenter,omitempty"`
	ConfigConnector *ConfigConnector `json:"configConnector,omitempty"`
	Crossplane      *Crossplane      `json:"crossplane,omitempty"`
	CAPA            *CAPA            `json:"capa,omitempty"`
}

// Taint is a node taint of the pool.
type Taint struct {
	Key    string             `json:"key"`
	Value  string             `json:"value,omitempty"`
	Effect corev1.TaintEffect `json:"effect"`
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
	NodeAffinity    AffinityMode `json:"nodeAffinity,omitempty"`
	PreferredWeight *int32       `json:"preferredWeight,omitempty"`
	NodeSelector    bool         `json:"nodeSelector,omitempty"`
}
