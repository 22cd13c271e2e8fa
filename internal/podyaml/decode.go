package podyaml

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The readers below follow the json tags of k8s.io/api/core/v1: a key they
// do not list makes the Reader give up rather than be ignored, because the
// JSON decoder would match it case-insensitively.

// Toleration reads a corev1.Toleration.
func (r *Reader) Toleration(n *yaml.Node) corev1.Toleration {
	var t corev1.Toleration
	r.Fields(n, func(key string, v *yaml.Node) bool {
		switch key {
		case "key":
			t.Key = r.String(v)
		case "operator":
			t.Operator = corev1.TolerationOperator(r.String(v))
		case "value":
			t.Value = r.String(v)
		case "effect":
			t.Effect = corev1.TaintEffect(r.String(v))
		case "tolerationSeconds":
			t.TolerationSeconds = r.Int64Ptr(v)
		default:
			return false
		}
		return true
	})
	return t
}

// Tolerations reads a list of tolerations.
func (r *Reader) Tolerations(n *yaml.Node) []corev1.Toleration {
	return List(r, n, r.Toleration)
}

// Affinity reads a corev1.Affinity that has only a nodeAffinity: pod
// (anti-)affinity is left to the JSON path, since placement never reads it.
func (r *Reader) Affinity(n *yaml.Node) (a corev1.Affinity) {
	r.OnlyField(n, "nodeAffinity", func(v *yaml.Node) { a.NodeAffinity = Ptr(r, v, r.NodeAffinity) })
	return a
}

// NodeAffinity reads a corev1.NodeAffinity.
func (r *Reader) NodeAffinity(n *yaml.Node) corev1.NodeAffinity {
	var a corev1.NodeAffinity
	r.Fields(n, func(key string, v *yaml.Node) bool {
		switch key {
		case "requiredDuringSchedulingIgnoredDuringExecution":
			a.RequiredDuringSchedulingIgnoredDuringExecution = Ptr(r, v, r.NodeSelector)
		case "preferredDuringSchedulingIgnoredDuringExecution":
			a.PreferredDuringSchedulingIgnoredDuringExecution = List(r, v, r.PreferredSchedulingTerm)
		default:
			return false
		}
		return true
	})
	return a
}

// NodeSelector reads a corev1.NodeSelector.
func (r *Reader) NodeSelector(n *yaml.Node) (s corev1.NodeSelector) {
	r.OnlyField(n, "nodeSelectorTerms", func(v *yaml.Node) { s.NodeSelectorTerms = List(r, v, r.NodeSelectorTerm) })
	return s
}

// NodeSelectorTerm reads a corev1.NodeSelectorTerm.
func (r *Reader) NodeSelectorTerm(n *yaml.Node) corev1.NodeSelectorTerm {
	var t corev1.NodeSelectorTerm
	r.Fields(n, func(key string, v *yaml.Node) bool {
		switch key {
		case "matchExpressions":
			t.MatchExpressions = List(r, v, r.NodeSelectorRequirement)
		case "matchFields":
			t.MatchFields = List(r, v, r.NodeSelectorRequirement)
		default:
			return false
		}
		return true
	})
	return t
}

// NodeSelectorRequirement reads a corev1.NodeSelectorRequirement.
func (r *Reader) NodeSelectorRequirement(n *yaml.Node) corev1.NodeSelectorRequirement {
	var req corev1.NodeSelectorRequirement
	r.Fields(n, func(key string, v *yaml.Node) bool {
		switch key {
		case "key":
			req.Key = r.String(v)
		case "operator":
			req.Operator = corev1.NodeSelectorOperator(r.String(v))
		case "values":
			req.Values = r.Strings(v)
		default:
			return false
		}
		return true
	})
	return req
}

// PreferredSchedulingTerm reads a corev1.PreferredSchedulingTerm.
func (r *Reader) PreferredSchedulingTerm(n *yaml.Node) corev1.PreferredSchedulingTerm {
	var p corev1.PreferredSchedulingTerm
	r.Fields(n, func(key string, v *yaml.Node) bool {
		switch key {
		case "weight":
			p.Weight = r.Int32(v)
		case "preference":
			p.Preference = r.NodeSelectorTerm(v)
		default:
			return false
		}
		return true
	})
	return p
}
