package placement

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"maps"
	"slices"
)

// Requirements returns one `key In [value]` per pool label, in key order.
func Requirements(poolLabels map[string]string) []corev1.NodeSelectorRequirement {
	keys := slices.Sorted(maps.Keys(poolLabels))
	out := make([]corev1.NodeSelectorRequirement, 0, len(keys))
	for _, k := range keys {
		out = append(out, corev1.NodeSelectorRequirement{
			Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{poolLabels[k]},
		})
	}
	return out
}

// RequiredMerge says how to add the pool's requirements to the required node
// affinity.
type RequiredMerge struct {
	// NewTerm is set when the pod has no term yet.
	NewTerm *corev1.NodeSelectorTerm
	// AddToTerm[i] holds the requirements term i lacks.
	AddToTerm [][]corev1.NodeSelectorRequirement
}

// Empty reports whether the merge changes nothing.
func (m RequiredMerge) Empty() bool {
	if m.NewTerm != nil {
		return false
	}
	for _, add := range m.AddToTerm {
		if len(add) > 0 {
			return false
		}
	}
	return true
}

// MergeRequiredAffinity adds the requirements to every existing term.
// nodeSelectorTerms are ORed, so a new term of our own would let the pod match
// any node the other terms match; the requirement has to join every term.
// A term is created only when there is none.
//
// Before, with the pool labelled workloadType=untrusted:
//
//	nodeSelectorTerms:
//	- matchExpressions: [{key: zone, operator: In, values: [a]}]
//	- matchFields: [{key: metadata.name, operator: In, values: [n1]}]
//
// After, each term keeps its own meaning and also asks for the pool:
//
//	nodeSelectorTerms:
//	- matchExpressions: [{key: zone, operator: In, values: [a]}, {key: workloadType, operator: In, values: [untrusted]}]
//	- matchFields: [{key: metadata.name, operator: In, values: [n1]}]
//	  matchExpressions: [{key: workloadType, operator: In, values: [untrusted]}]
func MergeRequiredAffinity(existing *corev1.NodeSelector, reqs []corev1.NodeSelectorRequirement) RequiredMerge {
	if existing == nil || len(existing.NodeSelectorTerms) == 0 {
		return RequiredMerge{NewTerm: &corev1.NodeSelectorTerm{MatchExpressions: reqs}}
	}
	m := RequiredMerge{AddToTerm: make([][]corev1.NodeSelectorRequirement, len(existing.NodeSelectorTerms))}
	for i, term := range existing.NodeSelectorTerms {
		// The scheduler skips an empty term: it matches no node. With the
		// pool's requirements it would match every node of the pool, a
		// widening the workload never asked for.
		if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
			continue
		}
		for _, r := range reqs {
			if !containsRequirement(term.MatchExpressions, r) {
				m.AddToTerm[i] = append(m.AddToTerm[i], r)
			}
		}
	}
	return m
}

func containsRequirement(list []corev1.NodeSelectorRequirement, r corev1.NodeSelectorRequirement) bool {
	for _, e := range list {
		if equality.Semantic.DeepEqual(e, r) {
			return true
		}
	}
	return false
}

// PreferredMerge says how to add the pool's preferred term.
type PreferredMerge struct {
	// Add is the term to append, if the pod has no term with the same preference.
	Add *corev1.PreferredSchedulingTerm
	// SetWeight updates the weight of an identical preference at Index when
	// the configured weight changed.
	SetWeight *int32
	Index     int
}

// Empty reports whether the merge changes nothing.
func (m PreferredMerge) Empty() bool { return m.Add == nil && m.SetWeight == nil }

// MergePreferredAffinity adds one preferred term for the pool, unless the pod
// has one with the same preference already.
func MergePreferredAffinity(existing []corev1.PreferredSchedulingTerm, reqs []corev1.NodeSelectorRequirement, weight int32) PreferredMerge {
	want := corev1.NodeSelectorTerm{MatchExpressions: reqs}
	for i, t := range existing {
		if equality.Semantic.DeepEqual(t.Preference, want) {
			if t.Weight == weight {
				return PreferredMerge{}
			}
			return PreferredMerge{SetWeight: &weight, Index: i}
		}
	}
	return PreferredMerge{Add: &corev1.PreferredSchedulingTerm{Weight: weight, Preference: want}}
}
