package placement

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/klog/v2"
)

// Tolerations returns one toleration per pool taint: Equal on the value, or
// Exists when the taint has no value, and always with the taint's effect, so
// that it tolerates exactly this taint and nothing broader.
func Tolerations(taints []corev1.Taint) []corev1.Toleration {
	out := make([]corev1.Toleration, 0, len(taints))
	for _, t := range taints {
		tol := corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpEqual, Value: t.Value, Effect: t.Effect}
		if t.Value == "" {
			tol.Operator, tol.Value = corev1.TolerationOpExists, ""
		}
		out = append(out, tol)
	}
	return out
}

// MissingTolerations returns the tolerations to add for the pool taints that
// existing does not tolerate yet, as the scheduler decides it: a broader
// toleration the workload already has ({key: workloadType, operator: Exists},
// or one with no effect) is enough, and nothing is added for its taint.
func MissingTolerations(existing []corev1.Toleration, taints []corev1.Taint) []corev1.Toleration {
	var untolerated []corev1.Taint
	for i := range taints {
		// Comparison operators (Gt, Lt) stay off, as behind their feature
		// gate: a toleration that needs them does not count.
		if !corev1helpers.TolerationsTolerateTaint(klog.Background(), existing, &taints[i], false) {
			untolerated = append(untolerated, taints[i])
		}
	}
	return Tolerations(untolerated)
}

// boundedNoExecute warns about a pool NoExecute taint whose toleration ends:
// the taint manager evicts after the tolerationSeconds of the FIRST toleration
// that matches each taint, so the pod would be evicted from the pool's nodes
// and come back, again and again. Adding a toleration after it would not help.
func boundedNoExecute(tolerations []corev1.Toleration, taints []corev1.Taint, path *field.Path) field.ErrorList {
	var warnings field.ErrorList
	for i := range taints {
		if taints[i].Effect != corev1.TaintEffectNoExecute {
			continue
		}
		for j := range tolerations {
			if !tolerations[j].ToleratesTaint(klog.Background(), &taints[i], false) {
				continue
			}
			if s := tolerations[j].TolerationSeconds; s != nil {
				warnings = append(warnings, field.Invalid(path.Index(j).Child("tolerationSeconds"), *s, fmt.Sprintf(
					"this toleration tolerates the pool's NoExecute taint %s for %d seconds only: the pod would be evicted from the pool's nodes after that, again and again. Remove tolerationSeconds",
					taints[i].ToString(), *s)))
			}
			break
		}
	}
	return warnings
}
