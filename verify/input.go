package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
)

// ClusterState is the pods and nodes to check.
type ClusterState struct {
	Pods  []corev1.Pod
	Nodes []corev1.Node
}

// typeMeta is enough of an object to tell what it is.
type typeMeta struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Items      []json.RawMessage `json:"items"`
}

// Decode reads what `kubectl get pods,nodes -A -o json` prints: a List, or
// several Lists or objects one after another (pods and nodes from two
// commands). source names the input in errors.
func Decode(r io.Reader, source string, into *ClusterState) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return fmt.Errorf("%s: empty input; pipe in `kubectl get pods,nodes -A -o json`", source)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for doc := 0; ; doc++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: not valid JSON (is the file complete?): %w", source, err)
		}
		if err := decodeObject(raw, fmt.Sprintf("%s: document %d", source, doc+1), into); err != nil {
			return err
		}
	}
}

func decodeObject(raw json.RawMessage, where string, into *ClusterState) error {
	var tm typeMeta
	if err := json.Unmarshal(raw, &tm); err != nil {
		return fmt.Errorf("%s: not a Kubernetes object: %w", where, err)
	}
	switch tm.Kind {
	case "List", "PodList", "NodeList":
		for i, item := range tm.Items {
			if err := decodeObject(item, fmt.Sprintf("%s items[%d]", where, i), into); err != nil {
				return err
			}
		}
		return nil
	case "Pod":
		var pod corev1.Pod
		if err := json.Unmarshal(raw, &pod); err != nil {
			return fmt.Errorf("%s: Pod: %w", where, err)
		}
		if pod.Name == "" {
			return fmt.Errorf("%s: Pod has no metadata.name", where)
		}
		into.Pods = append(into.Pods, pod)
		return nil
	case "Node":
		var node corev1.Node
		if err := json.Unmarshal(raw, &node); err != nil {
			return fmt.Errorf("%s: Node: %w", where, err)
		}
		if node.Name == "" {
			return fmt.Errorf("%s: Node has no metadata.name", where)
		}
		into.Nodes = append(into.Nodes, node)
		return nil
	case "":
		return fmt.Errorf("%s: no kind; want a List of Pods and Nodes as `kubectl get pods,nodes -A -o json` prints it", where)
	}
	return fmt.Errorf("%s: unexpected kind %s; want Pods and Nodes (`kubectl get pods,nodes -A -o json`)", where, tm.Kind)
}

// Check reports what makes the state unusable: no pods or no nodes, and pods
// on nodes the input does not list.
func (s *ClusterState) Check() error {
	if len(s.Nodes) == 0 {
		return fmt.Errorf("the input lists no Nodes; include them: `kubectl get pods,nodes -A -o json`")
	}
	if len(s.Pods) == 0 {
		return fmt.Errorf("the input lists no Pods; include them: `kubectl get pods,nodes -A -o json`")
	}
	nodes := map[string]bool{}
	for _, n := range s.Nodes {
		nodes[n.Name] = true
	}
	for _, p := range s.Pods {
		if p.Spec.NodeName != "" && !nodes[p.Spec.NodeName] {
			return fmt.Errorf("pod %s/%s runs on node %q, which the input does not list; list pods and nodes together", p.Namespace, p.Name, p.Spec.NodeName)
		}
	}
	return nil
}
