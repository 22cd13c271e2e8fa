package config

import (
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The node-pool targets the function can emit.
const (
	TargetGKEOnAWS           = "GKEOnAWS"
	TargetKarpenter          = "Karpenter"
	TargetConfigConnector    = "ConfigConnector"
	TargetCrossplaneGKEOnAWS = "CrossplaneGKEOnAWS"
	TargetCAPA               = "CAPA"
)

// Targets lists every target in the order they are emitted.
var Targets = []string{TargetGKEOnAWS, TargetKarpenter, TargetConfigConnector, TargetCrossplaneGKEOnAWS, TargetCAPA}

// GKEOnAWS holds what gcloud and the GKE Multi-Cloud API need to create an
// AwsNodePool besides its name, taints and labels.
type GKEOnAWS struct {
	Project                   string            `json:"project,omitempty" yaml:"project,omitempty"`
	Location                  string            `json:"location" yaml:"location"`
	Cluster                   string            `json:"cluster" yaml:"cluster"`
	NodeVersion               string            `json:"nodeVersion" yaml:"nodeVersion"`
	SubnetID                  string            `json:"subnetID" yaml:"subnetID"`
	IAMInstanceProfile        string            `json:"iamInstanceProfile" yaml:"iamInstanceProfile"`
	ConfigEncryptionKMSKeyARN string            `json:"configEncryptionKMSKeyARN" yaml:"configEncryptionKMSKeyARN"`
	MaxPodsPerNode            *int64            `json:"maxPodsPerNode" yaml:"maxPodsPerNode"`
	MinNodes                  *int32            `json:"minNodes" yaml:"minNodes"`
	MaxNodes                  *int32            `json:"maxNodes" yaml:"maxNodes"`
	InstanceType              string            `json:"instanceType,omitempty" yaml:"instanceType,omitempty"`
	RootVolumeSizeGiB         int32             `json:"rootVolumeSizeGiB,omitempty" yaml:"rootVolumeSizeGiB,omitempty"`
	SecurityGroupIDs          []string          `json:"securityGroupIDs,omitempty" yaml:"securityGroupIDs,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty" yaml:"tags,omitempty"`
}

// Karpenter holds the NodePool fields Karpenter requires.
type Karpenter struct {
	NodeClassRef KarpenterNodeClassRef  `json:"nodeClassRef" yaml:"nodeClassRef"`
	Requirements []KarpenterRequirement `json:"requirements,omitempty" yaml:"requirements,omitempty"`
	Weight       *int32                 `json:"weight,omitempty" yaml:"weight,omitempty"`
}

// KarpenterNodeClassRef names the cloud-specific NodeClass.
type KarpenterNodeClassRef struct {
	Group string `json:"group" yaml:"group"`
	Kind  string `json:"kind" yaml:"kind"`
	Name  string `json:"name" yaml:"name"`
}

// KarpenterRequirement has Karpenter's own shape.
type KarpenterRequirement struct {
	Key       string   `json:"key" yaml:"key"`
	Operator  string   `json:"operator" yaml:"operator"`
	Values    []string `json:"values,omitempty" yaml:"values,omitempty"`
	MinValues *int32   `json:"minValues,omitempty" yaml:"minValues,omitempty"`
}

// ConfigConnector holds the ContainerNodePool fields (GKE on Google Cloud).
type ConfigConnector struct {
	Namespace        string        `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	ClusterRef       ResourceRef   `json:"clusterRef" yaml:"clusterRef"`
	Location         string        `json:"location" yaml:"location"`
	NodeCount        *int64        `json:"nodeCount,omitempty" yaml:"nodeCount,omitempty"`
	InitialNodeCount *int64        `json:"initialNodeCount,omitempty" yaml:"initialNodeCount,omitempty"`
	MachineType      string        `json:"machineType,omitempty" yaml:"machineType,omitempty"`
	Version          string        `json:"version,omitempty" yaml:"version,omitempty"`
	Autoscaling      *MinMaxCounts `json:"autoscaling,omitempty" yaml:"autoscaling,omitempty"`
}

// ResourceRef points at another resource by name, or by external ID.
type ResourceRef struct {
	Name      string `json:"name,omitempty" yaml:"name,omitempty"`
	Namespace string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	External  string `json:"external,omitempty" yaml:"external,omitempty"`
}

// MinMaxCounts is an autoscaling range.
type MinMaxCounts struct {
	Min int64 `json:"min" yaml:"min"`
	Max int64 `json:"max" yaml:"max"`
}

// Crossplane holds the containeraws.gcp.upbound.io NodePool fields: the
// GKE on AWS ones, and where to find the cluster and the provider config.
type Crossplane struct {
	GKEOnAWS           `json:",inline" yaml:",inline"`
	ClusterRef         string `json:"clusterRef,omitempty" yaml:"clusterRef,omitempty"`
	ProviderConfigName string `json:"providerConfigName,omitempty" yaml:"providerConfigName,omitempty"`
}

// CAPA holds the Cluster API AWS AWSManagedMachinePool fields.
type CAPA struct {
	Namespace        string        `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	EKSNodegroupName string        `json:"eksNodegroupName,omitempty" yaml:"eksNodegroupName,omitempty"`
	InstanceType     string        `json:"instanceType,omitempty" yaml:"instanceType,omitempty"`
	Scaling          *MinMaxCounts `json:"scaling,omitempty" yaml:"scaling,omitempty"`
	SubnetIDs        []string      `json:"subnetIDs,omitempty" yaml:"subnetIDs,omitempty"`
}

// EmittedTargets returns the targets to emit: the emit list, or every target
// whose block is present.
func (p NodePool) EmittedTargets() []string {
	if p.Emit != nil {
		return p.Emit
	}
	var out []string
	for _, t := range Targets {
		if p.hasBlock(t) {
			out = append(out, t)
		}
	}
	return out
}

// targetBlock is how the config carries one target: the field of its
// provider block, whether and how that block is valid, and which pool labels
// the target rejects.
type targetBlock struct {
	field    string
	present  func(NodePool) bool
	validate func(NodePool, *field.Path) field.ErrorList
	// rejectsLabel says why the target's API rejects a node label key, or
	// "" when it accepts it; nil when it accepts every valid key.
	rejectsLabel func(key string) string
}

// targetBlocks is the table of targets; adding one is adding a row.
var targetBlocks = map[string]targetBlock{
	TargetGKEOnAWS: {"gkeOnAWS", func(p NodePool) bool { return p.GKEOnAWS != nil },
		func(p NodePool, path *field.Path) field.ErrorList { return p.GKEOnAWS.validate(path) }, nil},
	TargetKarpenter: {"karpenter", func(p NodePool) bool { return p.Karpenter != nil },
		func(p NodePool, path *field.Path) field.ErrorList { return p.Karpenter.validate(path) }, karpenterRejectsLabel},
	TargetConfigConnector: {"configConnector", func(p NodePool) bool { return p.ConfigConnector != nil },
		func(p NodePool, path *field.Path) field.ErrorList { return p.ConfigConnector.validate(path) }, nil},
	TargetCrossplaneGKEOnAWS: {"crossplane", func(p NodePool) bool { return p.Crossplane != nil },
		func(p NodePool, path *field.Path) field.ErrorList { return p.Crossplane.validate(path) }, nil},
	TargetCAPA: {"capa", func(p NodePool) bool { return p.CAPA != nil },
		func(p NodePool, path *field.Path) field.ErrorList { return p.CAPA.validate(path) }, nil},
}

// TargetFields lists the provider block fields, in target order, for messages.
func TargetFields() []string {
	out := make([]string, 0, len(Targets))
	for _, t := range Targets {
		out = append(out, targetBlocks[t].field)
	}
	return out
}

func (p NodePool) hasBlock(target string) bool {
	b, ok := targetBlocks[target]
	return ok && b.present(p)
}

// ValidateTargets checks what emitting the targets needs, for every pool:
// each one's block and required fields, and that each accepts the labels of
// the pool and of the system pool. Validate checks each pool's own targets;
// the nodepool command checks again for a --target it picks.
func (w *WorkloadIsolation) ValidateTargets(targets []string) field.ErrorList {
	var errs field.ErrorList
	for i := range w.pools {
		errs = append(errs, w.validateTargets(i, targets)...)
	}
	return errs
}

// validateTargets checks the targets for pool i. The system pool takes the
// provider blocks of the pool SystemPoolBase names, so its labels are
// checked with that pool's.
func (w *WorkloadIsolation) validateTargets(i int, targets []string) field.ErrorList {
	pool := w.pools[i]
	p := pool.NodePool
	p.Emit = targets
	errs := validateTargets(p, pool.Path)
	emitted := p.EmittedTargets()
	errs = append(errs, validateLabelsFor(emitted, p.Labels, pool.Path.Child("labels"))...)
	if s := w.Spec.SystemNodePool; s != nil && i == w.SystemPoolBase() {
		errs = append(errs, validateLabelsFor(emitted, s.Labels, field.NewPath("spec", "systemNodePool", "labels"))...)
	}
	return errs
}

// validateLabelsFor reports the pool labels a target's API rejects.
func validateLabelsFor(targets []string, labels map[string]string, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, t := range targets {
		rejects := targetBlocks[t].rejectsLabel
		if rejects == nil {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(labels)) {
			if why := rejects(k); why != "" {
				errs = append(errs, field.Invalid(path.Key(k), k, t+" rejects this label: "+why))
			}
		}
	}
	return errs
}

func validateTargets(p NodePool, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, t := range p.Emit {
		if !slices.Contains(Targets, t) {
			errs = append(errs, field.NotSupported(path.Child("emit").Index(i), t, Targets))
			continue
		}
		if !p.hasBlock(t) {
			errs = append(errs, field.Required(path.Child(targetBlocks[t].field), "needed to emit "+t))
		}
	}
	for _, t := range p.EmittedTargets() {
		if !p.hasBlock(t) {
			continue
		}
		b := targetBlocks[t]
		errs = append(errs, b.validate(p, path.Child(b.field))...)
	}
	return errs
}

func required(errs field.ErrorList, path *field.Path, missing bool, why string) field.ErrorList {
	if missing {
		return append(errs, field.Required(path, why))
	}
	return errs
}

func (g *GKEOnAWS) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = required(errs, path.Child("location"), g.Location == "", "gcloud --location")
	errs = required(errs, path.Child("cluster"), g.Cluster == "", "gcloud --cluster")
	errs = required(errs, path.Child("nodeVersion"), g.NodeVersion == "", "gcloud --node-version")
	errs = required(errs, path.Child("subnetID"), g.SubnetID == "", "gcloud --subnet-id")
	errs = required(errs, path.Child("iamInstanceProfile"), g.IAMInstanceProfile == "", "gcloud --iam-instance-profile")
	errs = required(errs, path.Child("configEncryptionKMSKeyARN"), g.ConfigEncryptionKMSKeyARN == "", "gcloud --config-encryption-kms-key-arn")
	errs = required(errs, path.Child("maxPodsPerNode"), g.MaxPodsPerNode == nil, "gcloud --max-pods-per-node")
	errs = required(errs, path.Child("minNodes"), g.MinNodes == nil, "gcloud --min-nodes")
	errs = required(errs, path.Child("maxNodes"), g.MaxNodes == nil, "gcloud --max-nodes")
	if g.MaxPodsPerNode != nil && *g.MaxPodsPerNode < 1 {
		errs = append(errs, field.Invalid(path.Child("maxPodsPerNode"), *g.MaxPodsPerNode, "must be at least 1"))
	}
	if g.MinNodes != nil && *g.MinNodes < 0 {
		errs = append(errs, field.Invalid(path.Child("minNodes"), *g.MinNodes, "must not be negative"))
	}
	if g.MinNodes != nil && g.MaxNodes != nil && *g.MaxNodes < *g.MinNodes {
		errs = append(errs, field.Invalid(path.Child("maxNodes"), *g.MaxNodes, "must not be less than minNodes"))
	}
	if g.RootVolumeSizeGiB < 0 {
		errs = append(errs, field.Invalid(path.Child("rootVolumeSizeGiB"), g.RootVolumeSizeGiB, "must not be negative"))
	}
	return errs
}

func (k *Karpenter) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	ref := path.Child("nodeClassRef")
	errs = required(errs, ref.Child("group"), k.NodeClassRef.Group == "", "e.g. karpenter.k8s.aws")
	errs = required(errs, ref.Child("kind"), k.NodeClassRef.Kind == "", "e.g. EC2NodeClass")
	errs = required(errs, ref.Child("name"), k.NodeClassRef.Name == "", "the NodeClass to launch nodes from")
	for i, r := range k.Requirements {
		errs = required(errs, path.Child("requirements").Index(i).Child("key"), r.Key == "", "")
		errs = required(errs, path.Child("requirements").Index(i).Child("operator"), r.Operator == "", "")
	}
	return errs
}

// karpenterRejectsLabel says why Karpenter's NodePool schema rejects a node
// label: the karpenter.sh domain is its own, and the node name label is set
// by the kubelet.
func karpenterRejectsLabel(key string) string {
	// The prefix is everything before the first '/', or the whole key.
	domain, _, _ := strings.Cut(key, "/")
	switch {
	case key == "kubernetes.io/hostname":
		return `label "kubernetes.io/hostname" is restricted`
	case key == "karpenter.sh/nodepool":
		return `label "karpenter.sh/nodepool" is restricted; Karpenter sets it to the NodePool's name`
	case key != "karpenter.sh/capacity-type" && strings.HasSuffix(domain, "karpenter.sh"):
		return `label domain "karpenter.sh" is restricted`
	}
	return ""
}

func (c *ConfigConnector) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = required(errs, path.Child("clusterRef"), c.ClusterRef.Name == "" && c.ClusterRef.External == "", "name or external")
	errs = required(errs, path.Child("location"), c.Location == "", "the cluster's zone or region")
	return errs
}

func (c *Crossplane) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	errs = required(errs, path.Child("location"), c.Location == "", "forProvider.location")
	errs = required(errs, path.Child("cluster"), c.Cluster == "" && c.ClusterRef == "", "forProvider.cluster, or clusterRef")
	errs = required(errs, path.Child("nodeVersion"), c.NodeVersion == "", "forProvider.version")
	errs = required(errs, path.Child("subnetID"), c.SubnetID == "", "forProvider.subnetId")
	errs = required(errs, path.Child("iamInstanceProfile"), c.IAMInstanceProfile == "", "forProvider.config.iamInstanceProfile")
	errs = required(errs, path.Child("configEncryptionKMSKeyARN"), c.ConfigEncryptionKMSKeyARN == "", "forProvider.config.configEncryption.kmsKeyArn")
	errs = required(errs, path.Child("maxPodsPerNode"), c.MaxPodsPerNode == nil, "forProvider.maxPodsConstraint")
	errs = required(errs, path.Child("minNodes"), c.MinNodes == nil, "forProvider.autoscaling")
	errs = required(errs, path.Child("maxNodes"), c.MaxNodes == nil, "forProvider.autoscaling")
	return errs
}

func (c *CAPA) validate(path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if c.Scaling != nil && c.Scaling.Max < c.Scaling.Min {
		errs = append(errs, field.Invalid(path.Child("scaling", "max"), c.Scaling.Max, "must not be less than min"))
	}
	return errs
}
