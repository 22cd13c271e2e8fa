package nodepool

import "github.com/isolate-workloads/isolate-workloads/config"

type capa struct{}

type awsManagedMachinePool struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Metadata   objectMeta   `json:"metadata"`
	Spec       capaPoolSpec `json:"spec"`
}

type capaPoolSpec struct {
	EKSNodegroupName string            `json:"eksNodegroupName,omitempty"`
	InstanceType     string            `json:"instanceType,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Scaling          *capaScaling      `json:"scaling,omitempty"`
	SubnetIDs        []string          `json:"subnetIDs,omitempty"`
	Taints           []capaTaint       `json:"taints"`
}

type capaScaling struct {
	MinSize int64 `json:"minSize"`
	MaxSize int64 `json:"maxSize"`
}

// capaTaint requires a value, and EKS taint effects are lower-case-dashed.
type capaTaint struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Effect string `json:"effect"`
}

func (capa) Render(p config.NodePool) (any, error) {
	c := p.CAPA
	spec := capaPoolSpec{EKSNodegroupName: c.EKSNodegroupName, InstanceType: c.InstanceType, Labels: p.Labels, SubnetIDs: c.SubnetIDs}
	if s := c.Scaling; s != nil {
		spec.Scaling = &capaScaling{MinSize: s.Min, MaxSize: s.Max}
	}
	for _, t := range p.Taints {
		spec.Taints = append(spec.Taints, capaTaint{Key: t.Key, Value: t.Value, Effect: capaEffect(t.Effect)})
	}
	return awsManagedMachinePool{
		APIVersion: "infrastructure.cluster.x-k8s.io/v1beta2", Kind: "AWSManagedMachinePool",
		Metadata: meta(p.Name, c.Namespace), Spec: spec,
	}, nil
}
