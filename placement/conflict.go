package placement

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// Where a pod can land is decided here, exactly, for the transform and the
// audit alike. Nothing is known of a real node beyond the pool's labels, so
// the question is whether SOME valid node (any other labels, any name) of a
// class matches the pod's required node affinity and nodeSelector, as the
// scheduler reads them: the nodeSelector must hold, and at least one term.

// nodeClass is a set of nodes: each meets, for every factor, all the
// constraints of at least one of the factor's alternatives, and may have any
// other label. The factors stay apart rather than multiplied out, so that
// the nodes outside many pools cost a search that stops at the first node
// it finds, not a list of every combination of the pools' labels.
type nodeClass [][][]constraint

// anyNode is every node.
var anyNode = nodeClass{}

// poolNodes are the nodes that carry every label of the pool.
func (p Pool) poolNodes() nodeClass {
	var cs []constraint
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		cs = append(cs, equalTo(k, p.Labels[k], "the pool's label"))
	}
	return nodeClass{{cs}}
}

// sharedNodes are the nodes outside the pool: each lacks at least one of the
// pool's labels, or has another value there. A shared node may well carry the
// pool's label keys (cloud.google.com/gke-nodepool=default-pool when the pool
// is gke-nodepool=untrusted), so a pod pinned to another value of the pool's
// key does run on shared nodes.
func (p Pool) sharedNodes() nodeClass {
	if len(p.Labels) == 0 {
		return anyNode // nothing tells the pool's nodes apart
	}
	var lacksOne [][]constraint
	for _, k := range slices.Sorted(maps.Keys(p.Labels)) {
		lacksOne = append(lacksOne, []constraint{{req: corev1.NodeSelectorRequirement{
			Key: k, Operator: corev1.NodeSelectorOpNotIn, Values: []string{p.Labels[k]}}}})
	}
	return nodeClass{lacksOne}
}

// outside narrows the class to the nodes of none of the pools.
func (c nodeClass) outside(pools []Pool) nodeClass {
	out := slices.Clone(c)
	for _, p := range pools {
		out = append(out, p.sharedNodes()...)
	}
	return out
}

// admits reports whether some node of the class meets the constraints, and
// why not: the reason of the first alternative of the factor that rules
// every node out.
func (c nodeClass) admits(cs []constraint) (bool, string) {
	if len(c) == 0 {
		return labelsSatisfiable(cs)
	}
	// A factor none of whose alternatives can hold rules every node out:
	// look for one at every step, before choosing.
	for _, factor := range c {
		var why string
		for i, alt := range factor {
			ok, reason := labelsSatisfiable(slices.Concat(cs, alt))
			if ok {
				why = ""
				break
			}
			if i == 0 {
				why = reason
			}
		}
		if why != "" {
			return false, why
		}
		if len(c) == 1 {
			return true, ""
		}
	}
	for _, alt := range c[0] {
		with := slices.Concat(cs, alt)
		if ok, _ := labelsSatisfiable(with); ok {
			if ok, _ := c[1:].admits(with); ok {
				return true, ""
			}
		}
	}
	return false, "no node meets the constraints of every pool at once"
}

// Fit says whether a pod can match a node of a class, and what rules it out.
type Fit struct {
	// Fits is true when some node of the class matches the nodeSelector and
	// at least one required term.
	Fits bool
	// NodeSelector, when set, is why the nodeSelector alone rules out every
	// node of the class.
	NodeSelector string
	// NoTerms is set when a required node affinity lists no term at all,
	// which the scheduler matches to no node.
	NoTerms bool
	// DeadTerms are the required terms that match no node of the class.
	DeadTerms []DeadTerm
}

// DeadTerm is a required node selector term that matches no node, and why.
type DeadTerm struct {
	Index  int
	Reason string
}

// Reasons describes what rules the pod out, for a message.
func (f Fit) Reasons() string {
	switch {
	case f.NodeSelector != "":
		return "nodeSelector: " + f.NodeSelector
	case f.NoTerms:
		return "the required node affinity has no nodeSelectorTerms, which matches no node"
	}
	parts := make([]string, len(f.DeadTerms))
	for i, d := range f.DeadTerms {
		parts[i] = fmt.Sprintf("nodeSelectorTerms[%d]: %s", d.Index, d.Reason)
	}
	return strings.Join(parts, "; ")
}

func fit(s Scheduling, class nodeClass) Fit {
	var selector []constraint
	for _, k := range slices.Sorted(maps.Keys(s.NodeSelector)) {
		selector = append(selector, equalTo(k, s.NodeSelector[k], "nodeSelector"))
	}
	if ok, why := class.admits(selector); !ok {
		return Fit{NodeSelector: why}
	}
	required := requiredSelector(s.Affinity)
	if required == nil {
		return Fit{Fits: true}
	}
	f := Fit{NoTerms: len(required.NodeSelectorTerms) == 0}
	for i, term := range required.NodeSelectorTerms {
		if ok, why := termAdmitted(term, selector, class); ok {
			f.Fits = true
		} else {
			f.DeadTerms = append(f.DeadTerms, DeadTerm{Index: i, Reason: why})
		}
	}
	return f
}

// termAdmitted reports whether some node of the class matches the term and
// the nodeSelector's constraints.
func termAdmitted(term corev1.NodeSelectorTerm, selector []constraint, class nodeClass) (bool, string) {
	if len(term.MatchExpressions) == 0 && len(term.MatchFields) == 0 {
		return false, "an empty term matches no node"
	}
	// A term the scheduler cannot parse matches no node (the API server
	// would refuse the pod).
	if _, err := nodeaffinity.NewNodeSelector(&corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}); err != nil {
		return false, "the scheduler cannot read it: " + err.Error()
	}
	if ok, why := fieldsSatisfiable(term.MatchFields); !ok {
		return false, why
	}
	cs := append([]constraint{}, selector...)
	for _, r := range term.MatchExpressions {
		cs = append(cs, constraint{req: r})
	}
	return class.admits(cs)
}

// CanLandOnPool reports whether a pod with this scheduling can match some
// node of the pool: one with the pool's labels and any others, except all
// the labels of one of the other pools, whose nodes are not the pool's.
func CanLandOnPool(s Scheduling, pool Pool, others ...Pool) bool {
	return fit(s, pool.poolNodes().outside(others)).Fits
}

// PoolFit is CanLandOnPool with the reasons when it cannot.
func PoolFit(s Scheduling, pool Pool) Fit {
	return fit(s, pool.poolNodes())
}

// CanLandOnShared reports whether the pod's node affinity and nodeSelector
// let it run on some node outside the pools.
func CanLandOnShared(s Scheduling, pools ...Pool) bool {
	return fit(s, anyNode.outside(pools)).Fits
}

// DeadTerms lists the required terms no node at all can match. The pod can
// use only its other terms; when it has none left, it stays Pending.
func DeadTerms(s Scheduling) []DeadTerm {
	f := fit(s, anyNode)
	if f.NodeSelector != "" {
		return nil // no term is to blame: the nodeSelector already fails
	}
	return f.DeadTerms
}
