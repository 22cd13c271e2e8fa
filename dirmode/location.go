package dirmode

import (
	"strconv"

	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
)

// location is what annotate added to an object, for strip to take away.
type location struct {
	annotated, newMetadata, newAnnotations bool
}

// annotate names the file of an object and its place in it, as kpt does,
// so that the function's results about it say where it is. Directory mode
// writes objects back by their place, not by these annotations, and strip
// removes them before anything is compared or written. An object that
// carries them already, or whose metadata is not a map, is left alone.
func annotate(root *yaml.Node, path string, index int) location {
	var loc location
	metadata := yamlnode.Value(root, "metadata")
	if metadata == nil {
		metadata = addKey(root, "metadata")
		loc.newMetadata = true
	}
	if metadata.Kind != yaml.MappingNode {
		return location{}
	}
	annotations := yamlnode.Value(metadata, "annotations")
	if annotations == nil {
		annotations = addKey(metadata, "annotations")
		loc.newAnnotations = true
	}
	if annotations.Kind != yaml.MappingNode ||
		yamlnode.Value(annotations, kioutil.PathAnnotation) != nil || yamlnode.Value(annotations, kioutil.IndexAnnotation) != nil {
		strip(root, loc)
		return location{}
	}
	annotations.Content = append(annotations.Content,
		yaml.NewStringRNode(kioutil.PathAnnotation).YNode(), yaml.NewStringRNode(path).YNode(),
		yaml.NewStringRNode(kioutil.IndexAnnotation).YNode(), yaml.NewStringRNode(strconv.Itoa(index)).YNode())
	loc.annotated = true
	return loc
}

// strip takes away what annotate added, leaving the object as it was
// before, byte for byte once encoded.
func strip(root *yaml.Node, loc location) {
	metadata := yamlnode.Value(root, "metadata")
	if metadata == nil || metadata.Kind != yaml.MappingNode {
		return
	}
	if annotations := yamlnode.Value(metadata, "annotations"); annotations != nil && annotations.Kind == yaml.MappingNode {
		if loc.annotated {
			deleteKey(annotations, kioutil.PathAnnotation)
			deleteKey(annotations, kioutil.IndexAnnotation)
		}
		if loc.newAnnotations && len(annotations.Content) == 0 {
			deleteKey(metadata, "annotations")
		}
	}
	if loc.newMetadata && len(metadata.Content) == 0 {
		deleteKey(root, "metadata")
	}
}

func addKey(m *yaml.Node, key string) *yaml.Node {
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	m.Content = append(m.Content, yaml.NewStringRNode(key).YNode(), v)
	return v
}

func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}
