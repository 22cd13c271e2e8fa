package nodepool

import (
	"strconv"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// The GKEOnAWS object is the GKE Multi-Cloud API's create request, wrapped in
// a KRM envelope that kpt keeps as a file and kustomize drops.
const (
	GKEOnAWSAPIVersion = "gkemulticloud.googleapis.com/v1"
	GKEOnAWSKind       = "AwsNodePool"
	// GcloudCommandAnnotation carries the gcloud command that sends the same request.
	GcloudCommandAnnotation = "isolate-workloads.dev/gcloud-command"
	localConfigAnnotation   = "config.kubernetes.io/local-config"
)

type gkeOnAWS struct{}

// AwsNodePool is the request body of
// POST /v1/projects/P/locations/L/awsClusters/C/awsNodePools, field for field.
type AwsNodePool struct {
	Autoscaling       AwsAutoscaling       `json:"autoscaling"`
	Config            AwsNodeConfig        `json:"config"`
	MaxPodsConstraint AwsMaxPodsConstraint `json:"maxPodsConstraint"`
	Name              string               `json:"name"`
	SubnetID          string               `json:"subnetId"`
	Version           string               `json:"version"`
}

// AwsAutoscaling is the node count range.
type AwsAutoscaling struct {
	MaxNodeCount int32 `json:"maxNodeCount"`
	MinNodeCount int32 `json:"minNodeCount"`
}

// AwsNodeConfig is the per-node configuration.
type AwsNodeConfig struct {
	ConfigEncryption   AwsConfigEncryption `json:"configEncryption"`
	IAMInstanceProfile string              `json:"iamInstanceProfile"`
	InstanceType       string              `json:"instanceType,omitempty"`
	Labels             map[string]string   `json:"labels,omitempty"`
	RootVolume         *AwsVolume          `json:"rootVolume,omitempty"`
	SecurityGroupIDs   []string            `json:"securityGroupIds,omitempty"`
	Tags               map[string]string   `json:"tags,omitempty"`
	Taints             []NodeTaint         `json:"taints,omitempty"`
}

// AwsConfigEncryption names the KMS key of the user data.
type AwsConfigEncryption struct {
	KMSKeyARN string `json:"kmsKeyArn"`
}

// AwsVolume is the root volume.
type AwsVolume struct {
	SizeGiB int32 `json:"sizeGib"`
}

// AwsMaxPodsConstraint is an int64, which the API's JSON spells as a string.
type AwsMaxPodsConstraint struct {
	MaxPodsPerNode string `json:"maxPodsPerNode"`
}

// NodeTaint is a taint as the Google APIs spell it. The value is always
// sent, empty or not, as gcloud does.
type NodeTaint struct {
	Effect string `json:"effect"`
	Key    string `json:"key"`
	Value  string `json:"value"`
}

type envelope struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       any        `json:"spec"`
}

// Body builds the API request body for a pool.
func Body(p config.NodePool, g *config.GKEOnAWS) AwsNodePool {
	body := AwsNodePool{
		Autoscaling: AwsAutoscaling{MaxNodeCount: *g.MaxNodes, MinNodeCount: *g.MinNodes},
		Config: AwsNodeConfig{
			ConfigEncryption:   AwsConfigEncryption{KMSKeyARN: g.ConfigEncryptionKMSKeyARN},
			IAMInstanceProfile: g.IAMInstanceProfile,
			InstanceType:       g.InstanceType,
			Labels:             p.Labels,
			SecurityGroupIDs:   g.SecurityGroupIDs,
			Tags:               g.Tags,
			Taints:             googleTaints(p),
		},
		MaxPodsConstraint: AwsMaxPodsConstraint{MaxPodsPerNode: strconv.FormatInt(*g.MaxPodsPerNode, 10)},
		Name:              p.Name,
		SubnetID:          g.SubnetID,
		Version:           g.NodeVersion,
	}
	if g.RootVolumeSizeGiB > 0 {
		body.Config.RootVolume = &AwsVolume{SizeGiB: g.RootVolumeSizeGiB}
	}
	return body
}

func googleTaints(p config.NodePool) []NodeTaint {
	out := make([]NodeTaint, 0, len(p.Taints))
	for _, t := range p.Taints {
		out = append(out, NodeTaint{Effect: googleAPIEffect(t.Effect), Key: t.Key, Value: t.Value})
	}
	return out
}

func (gkeOnAWS) Render(p config.NodePool) (any, error) {
	m := meta(p.Name, "")
	m.Annotations = map[string]string{
		localConfigAnnotation:   "true",
		GcloudCommandAnnotation: GcloudCommand(p, p.GKEOnAWS),
	}
	return envelope{APIVersion: GKEOnAWSAPIVersion, Kind: GKEOnAWSKind, Metadata: m, Spec: Body(p, p.GKEOnAWS)}, nil
}
