package placement

import (
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/klog/v2"
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

// TestMissingTolerations: a toleration is added only for a pool taint the
// workload does not tolerate yet, and the scheduler's ToleratesTaint decides
// that. Each row states, independently of the code, what must be added.
func TestMissingTolerations(t *testing.T) {
	noExecute := corev1.Taint{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}
	noSchedule := corev1.Taint{Key: "gpu", Effect: corev1.TaintEffectNoSchedule}
	ours := Tolerations([]corev1.Taint{noExecute, noSchedule})
	cases := []struct {
		name     string
		existing []corev1.Toleration
		want     []corev1.Toleration
	}{
		{"none", nil, ours},
		{"identical", ours, nil},
		{"empty-operator-means-equal", []corev1.Toleration{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}}, ours[1:]},
		{"key-exists-without-effect", []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpExists}}, ours[1:]},
		{"equal-without-effect", []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpEqual, Value: "untrusted"}}, ours[1:]},
		{"wildcard-tolerates-all", []corev1.Toleration{{Operator: corev1.TolerationOpExists}}, nil},
		{"wildcard-of-one-effect", []corev1.Toleration{{Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}, ours[:1]},
		{"other-effect", []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpEqual, Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}}, ours},
		{"other-value", []corev1.Toleration{{Key: "workloadType", Value: "trusted"}}, ours},
		// Gt and Lt tolerations are behind a feature gate the function
		// assumes off.
		{"comparison-operator", []corev1.Toleration{{Key: "gpu", Operator: "Gt", Value: "1", Effect: corev1.TaintEffectNoSchedule}}, ours},
		{"bounded-noexecute-still-tolerates", []corev1.Toleration{{Key: "workloadType", Operator: corev1.TolerationOpExists, TolerationSeconds: ptr(int64(30))}}, ours[1:]},
	}
	for _, tc := range cases {
		got := MissingTolerations(tc.existing, []corev1.Taint{noExecute, noSchedule})
		if !equality.Semantic.DeepEqual(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
			t.Errorf("%s: adds %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestBoundedNoExecute: a NoExecute pool taint tolerated for a while only is
// a warning at the first toleration that matches it, the one the taint
// manager reads.
func TestBoundedNoExecute(t *testing.T) {
	path := field.NewPath("spec", "tolerations")
	taints := []corev1.Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}}
	bounded := corev1.Toleration{Key: "workloadType", Operator: corev1.TolerationOpExists, TolerationSeconds: ptr(int64(30))}
	unbounded := corev1.Toleration{Operator: corev1.TolerationOpExists}
	if w := boundedNoExecute([]corev1.Toleration{unbounded, bounded}, taints, path); len(w) != 0 {
		t.Errorf("an unbounded toleration comes first: %v", w)
	}
	if w := boundedNoExecute([]corev1.Toleration{{Key: "other"}, bounded, unbounded}, taints, path); len(w) != 1 || w[0].Field != "spec.tolerations[1].tolerationSeconds" {
		t.Errorf("bounded first: %v", w)
	}
	noSchedule := []corev1.Taint{{Key: "workloadType", Effect: corev1.TaintEffectNoSchedule}}
	if w := boundedNoExecute([]corev1.Toleration{bounded}, noSchedule, path); len(w) != 0 {
		t.Errorf("NoSchedule evicts nothing: %v", w)
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
		// An empty term matches no node; the pool's requirements would make
		// it match every node of the pool.
		{"empty-term-stays-empty", &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
			{},
			{MatchExpressions: []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpIn, "x")}},
		}}, false, []int{0, 2}},
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
		// Requirements on keys the pool does not define still have to agree
		// with each other.
		{"self-contradicting-term-on-other-key", Scheduling{Affinity: terms(term(req("zone", corev1.NodeSelectorOpIn, "a"), req("zone", corev1.NodeSelectorOpIn, "b")))}, false},
		{"one-dead-one-live-term", Scheduling{Affinity: terms(
			term(req("zone", corev1.NodeSelectorOpIn, "a"), req("zone", corev1.NodeSelectorOpIn, "b")),
			term(req("zone", corev1.NodeSelectorOpIn, "a")))}, true},
		{"node-selector-against-term", Scheduling{NodeSelector: map[string]string{"zone": "a"}, Affinity: terms(term(req("zone", corev1.NodeSelectorOpNotIn, "a")))}, false},
		{"empty-range", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpGt, "4"), req("cpus", corev1.NodeSelectorOpLt, "5")))}, false},
		{"range-with-room", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpGt, "4"), req("cpus", corev1.NodeSelectorOpLt, "6")))}, true},
		{"range-excludes-non-integer", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpIn, "many"), req("cpus", corev1.NodeSelectorOpGt, "1")))}, false},
		// "05" is another spelling of 5, a valid label value Gt and Lt parse.
		{"range-other-spelling", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpGt, "4"), req("cpus", corev1.NodeSelectorOpLt, "6"), req("cpus", corev1.NodeSelectorOpNotIn, "5")))}, true},
		{"range-third-spelling", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpGt, "4"), req("cpus", corev1.NodeSelectorOpLt, "6"), req("cpus", corev1.NodeSelectorOpNotIn, "5", "05")))}, true},
		{"range-beyond-int64", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpGt, "9223372036854775807")))}, false},
		// A label value cannot start with "-": no node carries a negative number.
		{"range-below-zero", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpLt, "0")))}, false},
		{"range-zero", Scheduling{Affinity: terms(term(req("cpus", corev1.NodeSelectorOpLt, "1"), req("cpus", corev1.NodeSelectorOpNotIn, "0")))}, true},
		{"two-names", Scheduling{Affinity: terms(corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{
			req("metadata.name", corev1.NodeSelectorOpIn, "n1"), req("metadata.name", corev1.NodeSelectorOpIn, "n2")}})}, false},
		{"empty-term", Scheduling{Affinity: terms(corev1.NodeSelectorTerm{})}, false},
		{"no-terms", Scheduling{Affinity: terms()}, false},
		{"unparsable-term", Scheduling{Affinity: terms(term(req("zone", corev1.NodeSelectorOpExists, "a")))}, false},
	}
	for _, tc := range cases {
		if got := CanLandOnPool(tc.s, pool); got != tc.want {
			t.Errorf("%s: CanLandOnPool = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestMissingTolerationsMinimal: for random tolerations and taints, what
// MissingTolerations adds makes the scheduler tolerate every taint, and each
// added toleration is needed (without it some taint is not tolerated), as
// FindMatchingUntoleratedTaint decides.
func TestMissingTolerationsMinimal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 14))
	keys, values := []string{"", "workloadType", "gpu"}, []string{"", "untrusted", "x"}
	effects := []corev1.TaintEffect{"", corev1.TaintEffectNoSchedule, corev1.TaintEffectPreferNoSchedule, corev1.TaintEffectNoExecute}
	ops := []corev1.TolerationOperator{"", corev1.TolerationOpEqual, corev1.TolerationOpExists}
	for range 2000 {
		var existing []corev1.Toleration
		for range rng.IntN(3) {
			existing = append(existing, corev1.Toleration{Key: keys[rng.IntN(3)], Operator: ops[rng.IntN(3)], Value: values[rng.IntN(3)], Effect: effects[rng.IntN(4)]})
		}
		// A pool's taints differ in key or effect, as config validation and
		// the API server require.
		var taints []corev1.Taint
		for range 1 + rng.IntN(3) {
			taint := corev1.Taint{Key: keys[1+rng.IntN(2)], Value: values[rng.IntN(3)], Effect: effects[1+rng.IntN(3)]}
			if !slices.ContainsFunc(taints, func(o corev1.Taint) bool { return o.MatchTaint(&taint) }) {
				taints = append(taints, taint)
			}
		}
		added := MissingTolerations(existing, taints)
		all := append(append([]corev1.Toleration{}, existing...), added...)
		if taint, bad := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, all, nil, false); bad {
			t.Fatalf("taint %v still untolerated: existing %+v, added %+v", taint, existing, added)
		}
		for i := range added {
			without := append(append([]corev1.Toleration{}, existing...), added[:i]...)
			without = append(without, added[i+1:]...)
			if _, bad := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, without, nil, false); !bad {
				t.Fatalf("added %+v is not needed: existing %+v, taints %+v", added[i], existing, taints)
			}
		}
	}
}
