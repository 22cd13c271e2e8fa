package placement

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

func metaWithLabels(name string, l map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: l}
}

// CanLandOnPool reports whether a pod with this scheduling could match some
// node of the pool, as the scheduler's own node-affinity code decides it.
//
// A real pool node has more labels than the pool's (zone, instance type...),
// and nothing is known of them. So every requirement on a key the pool does
// not define is treated as satisfiable: it is dropped before matching. A term
// left with nothing to check could match, and makes the pod placeable.
func CanLandOnPool(s Scheduling, pool Pool) bool {
	return CanLandOn(s, pool.Node(), pool.Labels)
}

// SharedNode is a node outside the pool: it has none of the pool's labels and
// taints, and nothing else is known of it.
func (p Pool) SharedNode() *corev1.Node {
	return &corev1.Node{ObjectMeta: metaWithLabels("shared-node", nil)}
}

// CanLandOnShared reports whether the pod's node affinity and nodeSelector
// let it run outside the pool.
func CanLandOnShared(s Scheduling, pool Pool) bool {
	return CanLandOn(s, pool.SharedNode(), pool.Labels)
}

// CanLandOn decides node affinity and nodeSelector against node, checking
// only the requirements on the known label keys (the pool's): whether the
// node has any other label is unknown, so those requirements may hold.
func CanLandOn(s Scheduling, node *corev1.Node, known map[string]string) bool {
	pool := Pool{Labels: known}
	nodeSelector := onlyPoolKeys(s.NodeSelector, pool.Labels)
	terms := requiredTerms(s.Affinity)
	if len(terms) == 0 {
		return matches(nodeSelector, nil, node)
	}
	for _, term := range terms {
		known := corev1.NodeSelectorTerm{}
		for _, r := range term.MatchExpressions {
			if _, ok := pool.Labels[r.Key]; ok {
				known.MatchExpressions = append(known.MatchExpressions, r)
			}
		}
		if len(known.MatchExpressions) == 0 {
			// Only unknown keys (or fields, like metadata.name): may match.
			if matches(nodeSelector, nil, node) {
				return true
			}
			continue
		}
		if matches(nodeSelector, &known, node) {
			return true
		}
	}
	return false
}

func requiredTerms(a *corev1.Affinity) []corev1.NodeSelectorTerm {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
}

func onlyPoolKeys(nodeSelector, poolLabels map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range nodeSelector {
		if _, ok := poolLabels[k]; ok {
			out[k] = v
		}
	}
	return out
}

func matches(nodeSelector map[string]string, term *corev1.NodeSelectorTerm, node *corev1.Node) bool {
	var affinity *corev1.Affinity
	if term != nil {
		affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{*term}},
		}}
	}
	ok, err := nodeaffinity.NewRequiredNodeAffinity(nodeSelector, affinity).Match(node)
	// An error means an unparsable requirement, which the API server would
	// reject too: such a pod lands nowhere.
	return ok && err == nil
}
