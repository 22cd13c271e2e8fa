package nodepool

import "github.com/isolate-workloads/isolate-workloads/config"

type crossplane struct{}

type crossplaneNodePool struct {
	APIVersion string                 `json:"apiVersion"`
	Kind       string                 `json:"kind"`
	Metadata   objectMeta             `json:"metadata"`
	Spec       crossplaneNodePoolSpec `json:"spec"`
}

type crossplaneNodePoolSpec struct {
	ForProvider       crossplaneForProvider `json:"forProvider"`
	ProviderConfigRef *nameRef              `json:"providerConfigRef,omitempty"`
}

type nameRef struct {
	Name string `json:"name"`
}

// crossplaneForProvider mirrors the GKE Multi-Cloud API with Terraform's
// spelling (numbers as numbers, subnetId, version).
type crossplaneForProvider struct {
	Autoscaling       AwsAutoscaling    `json:"autoscaling"`
	Cluster           string            `json:"cluster,omitempty"`
	ClusterRef        *nameRef          `json:"clusterRef,omitempty"`
	Config            AwsNodeConfig     `json:"config"`
	Location          string            `json:"location"`
	MaxPodsConstraint crossplaneMaxPods `json:"maxPodsConstraint"`
	Project           string            `json:"project,omitempty"`
	SubnetID          string            `json:"subnetId"`
	Version           string            `json:"version"`
}

type crossplaneMaxPods struct {
	MaxPodsPerNode int64 `json:"maxPodsPerNode"`
}

func (crossplane) Render(p config.NodePool) (any, error) {
	c := p.Crossplane
	body := Body(p, &c.GKEOnAWS)
	fp := crossplaneForProvider{
		Autoscaling: body.Autoscaling, Cluster: c.Cluster, Config: body.Config, Location: c.Location,
		MaxPodsConstraint: crossplaneMaxPods{MaxPodsPerNode: *c.MaxPodsPerNode}, Project: c.Project,
		SubnetID: c.SubnetID, Version: c.NodeVersion,
	}
	if c.ClusterRef != "" {
		fp.ClusterRef = &nameRef{Name: c.ClusterRef}
	}
	np := crossplaneNodePool{
		APIVersion: "containeraws.gcp.upbound.io/v1beta2", Kind: "NodePool",
		Metadata: meta(p.Name, ""), Spec: crossplaneNodePoolSpec{ForProvider: fp},
	}
	if c.ProviderConfigName != "" {
		np.Spec.ProviderConfigRef = &nameRef{Name: c.ProviderConfigName}
	}
	return np, nil
}
