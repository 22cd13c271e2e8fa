package placement

import (
	corev1 "k8s.io/api/core/v1"
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

// MissingTolerations returns the wanted tolerations that have no identical
// entry in existing. Tolerations have no patch merge key, so identity is the
// whole (key, operator, value, effect) tuple, with an empty operator meaning
// Equal as the API server defaults it.
func MissingTolerations(existing, wanted []corev1.Toleration) []corev1.Toleration {
	var missing []corev1.Toleration
	for _, w := range wanted {
		if !containsToleration(existing, w) {
			missing = append(missing, w)
		}
	}
	return missing
}

func containsToleration(list []corev1.Toleration, t corev1.Toleration) bool {
	t = normalizeToleration(t)
	for _, e := range list {
		e = normalizeToleration(e)
		if e.MatchToleration(&t) {
			return true
		}
	}
	return false
}

func normalizeToleration(t corev1.Toleration) corev1.Toleration {
	if t.Operator == "" {
		t.Operator = corev1.TolerationOpEqual
	}
	return t
}
