package nodepool

import "github.com/isolate-workloads/isolate-workloads/config"

type configConnector struct{}

type containerNodePool struct {
	APIVersion string                `json:"apiVersion"`
	Kind       string                `json:"kind"`
	Metadata   objectMeta            `json:"metadata"`
	Spec       containerNodePoolSpec `json:"spec"`
}

type containerNodePoolSpec struct {
	Autoscaling      *ccAutoscaling     `json:"autoscaling,omitempty"`
	ClusterRef       config.ResourceRef `json:"clusterRef"`
	InitialNodeCount *int64             `json:"initialNodeCount,omitempty"`
	Location         string             `json:"location"`
	NodeConfig       ccNodeConfig       `json:"nodeConfig"`
	NodeCount        *int64             `json:"nodeCount,omitempty"`
	Version          string             `json:"version,omitempty"`
}

type ccAutoscaling struct {
	MinNodeCount int64 `json:"minNodeCount"`
	MaxNodeCount int64 `json:"maxNodeCount"`
}

type ccNodeConfig struct {
	MachineType string            `json:"machineType,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Taint       []NodeTaint       `json:"taint"`
}

func (configConnector) Render(p config.NodePool) (any, error) {
	c := p.ConfigConnector
	np := containerNodePool{
		APIVersion: "container.cnrm.cloud.google.com/v1beta1", Kind: "ContainerNodePool",
		Metadata: meta(p.Name, c.Namespace),
		Spec: containerNodePoolSpec{
			ClusterRef: c.ClusterRef, InitialNodeCount: c.InitialNodeCount, Location: c.Location,
			NodeCount: c.NodeCount, Version: c.Version,
			NodeConfig: ccNodeConfig{MachineType: c.MachineType, Labels: p.Labels, Taint: googleTaints(p)},
		},
	}
	if a := c.Autoscaling; a != nil {
		np.Spec.Autoscaling = &ccAutoscaling{MinNodeCount: a.Min, MaxNodeCount: a.Max}
	}
	return np, nil
}
