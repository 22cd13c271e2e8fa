package audit

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// podFields are the pod spec fields the audit reads: where a pod may run,
// and what privileges it has. Everything else (env, resources, probes) is
// left out before decoding, which keeps the audit cheap on large inputs.
var podFields = map[string]bool{
	"tolerations": true, "affinity": true, "nodeSelector": true,
	"hostPID": true, "hostNetwork": true, "hostIPC": true, "securityContext": true,
}

var containerFields = map[string]bool{"name": true, "securityContext": true}

var volumeFields = map[string]bool{"name": true, "hostPath": true}

// RelevantFields returns a shallow view of a pod spec node with only the
// fields the audit reads. The result shares nodes with podSpec; do not edit it.
func RelevantFields(podSpec *yaml.Node) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	if podSpec.Kind != yaml.MappingNode {
		return out
	}
	for i := 0; i+1 < len(podSpec.Content); i += 2 {
		key, value := podSpec.Content[i], podSpec.Content[i+1]
		switch {
		case podFields[key.Value]:
			out.Content = append(out.Content, key, value)
		case key.Value == "containers" || key.Value == "initContainers":
			out.Content = append(out.Content, key, filterList(value, containerFields))
		case key.Value == "volumes":
			out.Content = append(out.Content, key, filterList(value, volumeFields))
		}
	}
	return out
}

// filterList keeps the named fields of each map in a list. Anything that is
// not a list of maps is kept whole, so the decoder reports its real shape.
func filterList(list *yaml.Node, keep map[string]bool) *yaml.Node {
	if list.Kind != yaml.SequenceNode {
		return list
	}
	out := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
	for _, item := range list.Content {
		if item.Kind != yaml.MappingNode {
			out.Content = append(out.Content, item)
			continue
		}
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		for i := 0; i+1 < len(item.Content); i += 2 {
			if keep[item.Content[i].Value] {
				m.Content = append(m.Content, item.Content[i], item.Content[i+1])
			}
		}
		out.Content = append(out.Content, m)
	}
	return out
}

// podView is the part of a pod spec the audit reads, as small structs: the
// JSON decoder builds a field table for every struct type it fills, and
// corev1.PodSpec, Container and Volume are large enough for that to be most
// of the cost of a small run.
type podView struct {
	Tolerations     []corev1.Toleration `json:"tolerations"`
	Affinity        *corev1.Affinity    `json:"affinity"`
	NodeSelector    map[string]string   `json:"nodeSelector"`
	HostPID         bool                `json:"hostPID"`
	HostNetwork     bool                `json:"hostNetwork"`
	HostIPC         bool                `json:"hostIPC"`
	SecurityContext *struct {
		RunAsUser *int64 `json:"runAsUser"`
	} `json:"securityContext"`
	Volumes []struct {
		Name     string `json:"name"`
		HostPath *struct {
			Path string `json:"path"`
		} `json:"hostPath"`
	} `json:"volumes"`
	InitContainers []containerView `json:"initContainers"`
	Containers     []containerView `json:"containers"`
}

type containerView struct {
	Name            string                  `json:"name"`
	SecurityContext *corev1.SecurityContext `json:"securityContext"`
}

// DecodePodSpec reads what the audit needs of a pod spec node into a
// corev1.PodSpec; the fields it does not need stay empty.
func DecodePodSpec(podSpec *yaml.Node) (corev1.PodSpec, error) {
	var v podView
	if err := typedyaml.Decode(RelevantFields(podSpec), &v); err != nil {
		return corev1.PodSpec{}, err
	}
	spec := corev1.PodSpec{
		Tolerations: v.Tolerations, Affinity: v.Affinity, NodeSelector: v.NodeSelector,
		HostPID: v.HostPID, HostNetwork: v.HostNetwork, HostIPC: v.HostIPC,
	}
	if v.SecurityContext != nil {
		spec.SecurityContext = &corev1.PodSecurityContext{RunAsUser: v.SecurityContext.RunAsUser}
	}
	for _, vol := range v.Volumes {
		out := corev1.Volume{Name: vol.Name}
		if vol.HostPath != nil {
			out.HostPath = &corev1.HostPathVolumeSource{Path: vol.HostPath.Path}
		}
		spec.Volumes = append(spec.Volumes, out)
	}
	for _, c := range v.InitContainers {
		spec.InitContainers = append(spec.InitContainers, corev1.Container{Name: c.Name, SecurityContext: c.SecurityContext})
	}
	for _, c := range v.Containers {
		spec.Containers = append(spec.Containers, corev1.Container{Name: c.Name, SecurityContext: c.SecurityContext})
	}
	return spec, nil
}
