package nodepool

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/isolate-workloads/isolate-workloads/config"
)

type karpenter struct{}

type karpenterNodePool struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Metadata   objectMeta            `json:"metadata"`
	Spec       karpenterNodePoolSpec `json:"spec"`
}

type karpenterNodePoolSpec struct {
	Template karpenterTemplate `json:"template"`
	Weight   *int32            `json:"weight,omitempty"`
}

type karpenterTemplate struct {
	Metadata struct {
		Labels map[string]string `json:"labels,omitempty"`
	} `json:"metadata"`
	Spec struct {
		NodeClassRef config.KarpenterNodeClassRef  `json:"nodeClassRef"`
		Requirements []config.KarpenterRequirement `json:"requirements"`
		Taints       []corev1.Taint                `json:"taints"`
	} `json:"spec"`
}

func (karpenter) Render(p config.NodePool) (any, error) {
	k := p.Karpenter
	if k == nil {
		return nil, fmt.Errorf("no karpenter block")
	}
	np := karpenterNodePool{APIVersion: "karpenter.sh/v1", Kind: "NodePool", Metadata: meta(p.Name, "")}
	np.Spec.Weight = k.Weight
	np.Spec.Template.Metadata.Labels = p.Labels
	np.Spec.Template.Spec.NodeClassRef = k.NodeClassRef
	np.Spec.Template.Spec.Requirements = k.Requirements
	if np.Spec.Template.Spec.Requirements == nil {
		// Karpenter requires the list; the template labels already constrain the nodes.
		np.Spec.Template.Spec.Requirements = []config.KarpenterRequirement{}
	}
	// Karpenter's taints are the core API's node taints.
	np.Spec.Template.Spec.Taints = p.CoreTaints()
	return np, nil
}
