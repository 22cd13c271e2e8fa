package nodeoracle

import (
	"maps"
	"math"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Fresh values no requirement mentions. A fresh label value is not an
// integer, so it fails Gt and Lt as a non-integer the tests did not mention
// would.
const (
	FreshValue = "fresh"
	FreshName  = "fresh-node"
)

// Candidates returns nodes that stand for every node as far as the pod's
// required node affinity and nodeSelector can tell, with the extra labels
// (the pool's) mentioned too: if some valid node matches the pod, one of
// these does. Per label key, the values range over those mentioned for that
// key, a fresh value, absence, and the integers next to every Gt and Lt bound
// (each also spelled with one and two leading zeros, which NotIn of one
// spelling does not rule out); names range over the metadata.name values of
// matchFields and a fresh name. A requirement tells values apart only by
// these, so this is complete as long as no integer is mentioned in three
// spellings. Only nodes the API server would accept are returned (valid
// label values, a DNS-subdomain name). ok is false, and no node returned,
// when there would be more than limit.
func Candidates(nodeSelector map[string]string, affinity *corev1.Affinity, extra map[string]string, limit int) (nodes []*corev1.Node, ok bool) {
	values := map[string]map[string]bool{}
	mention := func(key, v string) {
		if values[key] == nil {
			values[key] = map[string]bool{}
		}
		values[key][v] = true
	}
	names := map[string]bool{FreshName: true}
	for k, v := range nodeSelector {
		mention(k, v)
	}
	for k, v := range extra {
		mention(k, v)
	}
	for _, term := range requiredTerms(affinity) {
		for _, r := range term.MatchExpressions {
			mention(r.Key, FreshValue)
			for _, v := range r.Values {
				mention(r.Key, v)
				if r.Operator == corev1.NodeSelectorOpGt || r.Operator == corev1.NodeSelectorOpLt {
					for _, n := range neighbours(v) {
						for _, prefix := range []string{"", "0", "00"} {
							mention(r.Key, prefix+strconv.FormatInt(n, 10))
						}
					}
				}
			}
		}
		for _, r := range term.MatchFields {
			if r.Key == "metadata.name" {
				for _, v := range r.Values {
					names[v] = true
				}
			}
		}
	}
	keys := slices.Sorted(maps.Keys(values))
	// Per key: its valid values, then "" standing for absence.
	const absent = "\x00"
	choices := make([][]string, len(keys))
	total := len(names)
	for i, k := range keys {
		for v := range values[k] {
			if len(validation.IsValidLabelValue(v)) == 0 {
				choices[i] = append(choices[i], v)
			}
		}
		slices.Sort(choices[i])
		choices[i] = append(choices[i], absent)
		total *= len(choices[i])
		if total > limit {
			return nil, false
		}
	}
	validNames := slices.DeleteFunc(slices.Sorted(maps.Keys(names)), func(n string) bool {
		return len(validation.IsDNS1123Subdomain(n)) > 0
	})
	pick := make([]int, len(keys))
	for {
		labels := map[string]string{}
		for i, k := range keys {
			if v := choices[i][pick[i]]; v != absent {
				labels[k] = v
			}
		}
		// Node labels need qualified-name keys; a pod may mention others.
		if validKeys(labels) {
			for _, name := range validNames {
				nodes = append(nodes, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}})
			}
		}
		i := 0
		for ; i < len(keys); i++ {
			pick[i]++
			if pick[i] < len(choices[i]) {
				break
			}
			pick[i] = 0
		}
		if i == len(keys) {
			return nodes, true
		}
	}
}

func validKeys(labels map[string]string) bool {
	for k := range labels {
		if len(validation.IsQualifiedName(k)) > 0 {
			return false
		}
	}
	return true
}

// neighbours returns the integers around a bound, within int64.
func neighbours(v string) []int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	out := []int64{n}
	if n > math.MinInt64 {
		out = append(out, n-1)
	}
	if n < math.MaxInt64 {
		out = append(out, n+1)
	}
	return out
}

func requiredTerms(a *corev1.Affinity) []corev1.NodeSelectorTerm {
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	return a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
}

// HasLabels reports whether the node carries every one of the labels.
func HasLabels(node *corev1.Node, labels map[string]string) bool {
	for k, v := range labels {
		if got, ok := node.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
