package audit

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/podyaml"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// podFields are the pod spec fields the audit reads: where a pod may run,
// and what privileges it has. Everything else (env, resources, probes) is
// left out before decoding, which keeps the audit cheap on large inputs.
// A field maps to the fields kept of its value (of each entry, for a list);
// nil keeps the value whole.
var podFields = fieldSet{
	"tolerations": nil, "affinity": nil, "nodeSelector": nil,
	"hostPID": nil, "hostNetwork": nil, "hostIPC": nil,
	"securityContext": {"runAsUser": nil},
	"volumes":         {"name": nil, "hostPath": {"path": nil}},
	"containers":      containerFields,
	"initContainers":  containerFields,
}

var containerFields = fieldSet{
	"name": nil,
	"securityContext": {
		"privileged": nil, "allowPrivilegeEscalation": nil, "capabilities": {"add": nil},
		"runAsUser": nil, "readOnlyRootFilesystem": nil,
	},
}

// fieldSet says which fields of a map to keep, and what to keep of them.
type fieldSet map[string]fieldSet

// RelevantFields returns a view of a pod spec node with only the fields the
// audit reads. The result shares nodes with podSpec; do not edit it.
func RelevantFields(podSpec *yaml.Node) *yaml.Node {
	if podSpec.Kind != yaml.MappingNode {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	}
	return keep(podSpec, podFields)
}

// keep filters a map, or each map of a list, down to the fields of set.
// Anything of another shape is kept whole, so the decoder reports it.
func keep(n *yaml.Node, set fieldSet) *yaml.Node {
	switch {
	case set == nil:
		return n
	case n.Kind == yaml.SequenceNode:
		out := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq, Content: make([]*yaml.Node, 0, len(n.Content))}
		for _, item := range n.Content {
			out.Content = append(out.Content, keep(item, set))
		}
		return out
	case n.Kind != yaml.MappingNode:
		return n
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if sub, ok := set[n.Content[i].Value]; ok {
			out.Content = append(out.Content, n.Content[i], keep(n.Content[i+1], sub))
		}
	}
	return out
}

// podView is the part of a pod spec the audit reads, as small structs: the
// JSON decoder builds a field table for every struct type it fills, and
// corev1.PodSpec, Container and Volume have dozens of fields each.
type podView struct {
	Tolerations     []corev1.Toleration `json:"tolerations"`
	Affinity        *corev1.Affinity    `json:"affinity"`
	NodeSelector    map[string]string   `json:"nodeSelector"`
	HostPID         bool                `json:"hostPID"`
	HostNetwork     bool                `json:"hostNetwork"`
	HostIPC         bool                `json:"hostIPC"`
	SecurityContext *podSecurityView    `json:"securityContext"`
	Volumes         []volumeView        `json:"volumes"`
	InitContainers  []containerView     `json:"initContainers"`
	Containers      []containerView     `json:"containers"`
}

type podSecurityView struct {
	RunAsUser *int64 `json:"runAsUser"`
}

type volumeView struct {
	Name     string        `json:"name"`
	HostPath *hostPathView `json:"hostPath"`
}

type hostPathView struct {
	Path string `json:"path"`
}

type containerView struct {
	Name            string                  `json:"name"`
	SecurityContext *corev1.SecurityContext `json:"securityContext"`
}

// DecodePodSpec reads what the audit needs of a pod spec node into a
// corev1.PodSpec; the fields it does not need stay empty.
func DecodePodSpec(podSpec *yaml.Node) (corev1.PodSpec, error) {
	relevant := RelevantFields(podSpec)
	r := &podyaml.Reader{}
	v := readPodView(r, relevant)
	if !r.OK() {
		// Unusual input, and every error message, take the JSON path.
		v = podView{}
		if err := typedyaml.Decode(relevant, &v); err != nil {
			return corev1.PodSpec{}, err
		}
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

// readPodView is podView's decoding by the podyaml reader, field for field.
func readPodView(r *podyaml.Reader, n *yaml.Node) podView {
	var v podView
	r.Fields(n, func(key string, value *yaml.Node) bool {
		switch key {
		case "tolerations":
			v.Tolerations = r.Tolerations(value)
		case "affinity":
			v.Affinity = podyaml.Ptr(r, value, r.Affinity)
		case "nodeSelector":
			v.NodeSelector = r.StringMap(value)
		case "hostPID":
			v.HostPID = r.Bool(value)
		case "hostNetwork":
			v.HostNetwork = r.Bool(value)
		case "hostIPC":
			v.HostIPC = r.Bool(value)
		case "securityContext":
			v.SecurityContext = podyaml.Ptr(r, value, func(n *yaml.Node) (sc podSecurityView) {
				r.OnlyField(n, "runAsUser", func(runAsUser *yaml.Node) { sc.RunAsUser = r.Int64Ptr(runAsUser) })
				return sc
			})
		case "volumes":
			v.Volumes = podyaml.List(r, value, func(n *yaml.Node) (vol volumeView) {
				r.Fields(n, func(key string, value *yaml.Node) bool {
					switch key {
					case "name":
						vol.Name = r.String(value)
					case "hostPath":
						vol.HostPath = podyaml.Ptr(r, value, func(n *yaml.Node) (hp hostPathView) {
							r.OnlyField(n, "path", func(path *yaml.Node) { hp.Path = r.String(path) })
							return hp
						})
					default:
						return false
					}
					return true
				})
				return vol
			})
		case "containers":
			v.Containers = podyaml.List(r, value, func(n *yaml.Node) containerView { return readContainerView(r, n) })
		case "initContainers":
			v.InitContainers = podyaml.List(r, value, func(n *yaml.Node) containerView { return readContainerView(r, n) })
		default:
			return false
		}
		return true
	})
	return v
}

func readContainerView(r *podyaml.Reader, n *yaml.Node) containerView {
	var c containerView
	r.Fields(n, func(key string, value *yaml.Node) bool {
		switch key {
		case "name":
			c.Name = r.String(value)
		case "securityContext":
			c.SecurityContext = podyaml.Ptr(r, value, func(n *yaml.Node) (sc corev1.SecurityContext) {
				r.Fields(n, func(key string, value *yaml.Node) bool {
					switch key {
					case "privileged":
						sc.Privileged = r.BoolPtr(value)
					case "allowPrivilegeEscalation":
						sc.AllowPrivilegeEscalation = r.BoolPtr(value)
					case "readOnlyRootFilesystem":
						sc.ReadOnlyRootFilesystem = r.BoolPtr(value)
					case "runAsUser":
						sc.RunAsUser = r.Int64Ptr(value)
					case "capabilities":
						sc.Capabilities = podyaml.Ptr(r, value, func(n *yaml.Node) (caps corev1.Capabilities) {
							r.OnlyField(n, "add", func(add *yaml.Node) {
								caps.Add = podyaml.List(r, add, func(n *yaml.Node) corev1.Capability { return corev1.Capability(r.String(n)) })
							})
							return caps
						})
					default:
						return false
					}
					return true
				})
				return sc
			})
		default:
			return false
		}
		return true
	})
	return c
}
