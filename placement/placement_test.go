package placement

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var pool = Pool{
	Name:   "untrusted-pool",
	Taints: []corev1.Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}},
	Labels: map[string]string{"workloadType": "untrusted"},
}

func TestTolerations(t *testing.T) {
	got := Tolerations([]corev1.Taint{
		{Key: "a", Value: "v", Effect: corev1.TaintEffectNoSchedule},
		{Key: "b", Effect: corev1.TaintEffectNoExecute},
	})
	want := []corev1.Toleration{
		{Key: "a", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoSchedule},
		{Key: "b", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("got %+v", got)
	}
}

func TestMissingTolerations(t *testing.T) {
	wanted := Tolerations(pool.Taints)
	cases := []struct {
		name     string
		existing []corev1.Toleration
		missing  int
	}{
		{"none", nil, 1},
		{"identical", wanted, 0},
		{"empty-operator-means-equal", []corev1.Toleration{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}}, 0},
		{"other-effect", []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpEqual, Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}}, 1},
		// A broader toleration is not identical; ours is still added so the
		// intent is explicit and stable across runs.
		{"wildcard-is-not-identical", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, 1},
	}
	for _, tc := range cases {
		if got := MissingTolerations(tc.existing, wanted); len(got) != tc.missing {
			t.Errorf("%s: missing %d, want %d", tc.name, len(got), tc.missing)
		}
	}
}

func req(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
	return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
}

func TestMergeRequiredAffinity(t *testing.T) {
	reqs := Requirements(map[string]string{"b": "2", "a": "1"})
	if reqs[0].Key != "a" || reqs[1].Key != "b" {
		t.Fatalf("requirements not in key order: %+v", reqs)
	}
	cases := []struct {
		name     string
		existing *corev1.NodeSelector
		newTerm  bool
		perTerm  []int
	}{
		{"no-affinity", nil, true, nil},
		{"no-terms", &corev1.NodeSelector{}, true, nil},
		{"two-terms-each-gets-both", &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpIn, "x")}},
			{MatchExpressions: []corev1.NodeSelectorRequirement{req("arch", corev1.NodeSelectorOpIn, "arm64")}},
		}}, false, []int{2, 2}},
		{"one-already-there", &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchExpressions: []corev1.NodeSelectorRequirement{req("a", corev1.NodeSelectorOpIn, "1")}},
		}}, false, []int{1}},
		{"fields-only-term", &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{MatchFields: []corev1.NodeSelectorRequirement{req("metadata.name", corev1.NodeSelectorOpIn, "n1")}},
		}}, false, []int{2}},
	}
	for _, tc := range cases {
		m := MergeRequiredAffinity(tc.existing, reqs)
		if (m.NewTerm != nil) != tc.newTerm {
			t.Errorf("%s: new term = %v", tc.name, m.NewTerm)
		}
		for i, n := range tc.perTerm {
			if len(m.AddToTerm[i]) != n {
				t.Errorf("%s: term %d gets %d, want %d", tc.name, i, len(m.AddToTerm[i]), n)
			}
		}
	}
}

func TestMergePreferredAffinity(t *testing.T) {
	reqs := Requirements(pool.Labels)
	if m := MergePreferredAffinity(nil, reqs, 50); m.Add == nil || m.Add.Weight != 50 {
		t.Errorf("no term: %+v", m)
	}
	same := []corev1.PreferredSchedulingTerm{{Weight: 50, Preference: corev1.NodeSelectorTerm{MatchExpressions: reqs}}}
	if m := MergePreferredAffinity(same, reqs, 50); !m.Empty() {
		t.Errorf("identical term: %+v", m)
	}
	if m := MergePreferredAffinity(same, reqs, 70); m.SetWeight == nil || *m.SetWeight != 70 || m.Index != 0 {
		t.Errorf("new weight: %+v", m)
	}
}

func TestMergeNodeSelector(t *testing.T) {
	path := field.NewPath("spec", "nodeSelector")
	add, errs := MergeNodeSelector(map[string]string{"os": "linux"}, pool.Labels, path)
	if len(errs) > 0 || add["workloadType"] != "untrusted" || len(add) != 1 {
		t.Errorf("add = %v, errs = %v", add, errs)
	}
	if _, errs := MergeNodeSelector(map[string]string{"workloadType": "trusted"}, pool.Labels, path); len(errs) != 1 || errs[0].Field != "spec.nodeSelector[workloadType]" {
		t.Errorf("conflict errs = %v", errs)
	}
}

func TestCanLandOnPool(t *testing.T) {
	terms := func(ts ...corev1.NodeSelectorTerm) *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: ts}}}
	}
	term := func(rs ...corev1.NodeSelectorRequirement) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchExpressions: rs}
	}
	cases := []struct {
		name string
		s    Scheduling
		want bool
	}{
		{"nothing", Scheduling{}, true},
		{"unknown-key-only", Scheduling{Affinity: terms(term(req("zone", corev1.NodeSelectorOpIn, "a")))}, true},
		{"not-in-pool-value", Scheduling{Affinity: terms(term(req("workloadType", corev1.NodeSelectorOpNotIn, "untrusted")))}, false},
		{"one-term-still-fits", Scheduling{Affinity: terms(
			term(req("workloadType", corev1.NodeSelectorOpNotIn, "untrusted")),
			term(req("workloadType", corev1.NodeSelectorOpIn, "untrusted")))}, true},
		{"does-not-exist", Scheduling{Affinity: terms(term(req("workloadType", corev1.NodeSelectorOpDoesNotExist)))}, false},
		{"node-selector-contradicts", Scheduling{NodeSelector: map[string]string{"workloadType": "trusted"}}, false},
		{"node-selector-other-key", Scheduling{NodeSelector: map[string]string{"os": "linux"}}, true},
	}
	for _, tc := range cases {
		if got := CanLandOnPool(tc.s, pool); got != tc.want {
			t.Errorf("%s: CanLandOnPool = %v, want %v", tc.name, got, tc.want)
		}
	}
}
