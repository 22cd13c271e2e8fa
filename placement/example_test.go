package placement_test

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/isolate-workloads/isolate-workloads/placement"
)

var untrusted = placement.Pool{
	Name:   "untrusted-pool",
	Taints: []corev1.Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}},
	Labels: map[string]string{"workloadType": "untrusted"},
}

func requiredTerms(terms ...[]corev1.NodeSelectorRequirement) *corev1.Affinity {
	sel := &corev1.NodeSelector{}
	for _, t := range terms {
		sel.NodeSelectorTerms = append(sel.NodeSelectorTerms, corev1.NodeSelectorTerm{MatchExpressions: t})
	}
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: sel}}
}

// A term that contradicts itself on a key the pool does not define matches
// no node; another term keeps the pod placeable.
func ExamplePoolFit() {
	zone := func(v string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{v}}
	}
	twoZones := placement.Scheduling{Affinity: requiredTerms([]corev1.NodeSelectorRequirement{zone("a"), zone("b")})}
	fmt.Println(placement.PoolFit(twoZones, untrusted).Reasons())

	orZoneA := placement.Scheduling{Affinity: requiredTerms([]corev1.NodeSelectorRequirement{zone("a"), zone("b")}, []corev1.NodeSelectorRequirement{zone("a")})}
	fmt.Println(placement.CanLandOnPool(orZoneA, untrusted), placement.DeadTerms(orZoneA)[0].Index)
	// Output:
	// nodeSelectorTerms[0]: no value of label "zone" satisfies zone In [a], zone In [b]
	// true 0
}

// A pod that already tolerates the pool's taint gets no toleration added.
func ExampleMissingTolerations() {
	anyWorkloadType := []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpExists}}
	fmt.Println(len(placement.MissingTolerations(anyWorkloadType, untrusted.Taints)))
	t := placement.MissingTolerations(nil, untrusted.Taints)[0]
	fmt.Println(t.Key, t.Operator, t.Value, t.Effect)
	// Output:
	// 0
	// workloadType Equal untrusted NoExecute
}

// The pool's label joins every existing term, because terms are ORed; an
// empty term matches no node and is left alone.
func ExampleMergeRequiredAffinity() {
	existing := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
		{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}},
		{MatchFields: []corev1.NodeSelectorRequirement{{Key: "metadata.name", Operator: corev1.NodeSelectorOpIn, Values: []string{"n1"}}}},
		{},
	}}
	merge := placement.MergeRequiredAffinity(existing, placement.Requirements(untrusted.Labels))
	for i, add := range merge.AddToTerm {
		fmt.Printf("term %d gets %d requirement(s)", i, len(add))
		for _, r := range add {
			fmt.Printf(": %s %s %v", r.Key, r.Operator, r.Values)
		}
		fmt.Println()
	}
	fmt.Println("new term:", merge.NewTerm != nil)
	// Output:
	// term 0 gets 1 requirement(s): workloadType In [untrusted]
	// term 1 gets 1 requirement(s): workloadType In [untrusted]
	// term 2 gets 0 requirement(s)
	// new term: false
}
