package audit

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
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
