package placement

import (
	"fmt"
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"

	"github.com/isolate-workloads/isolate-workloads/internal/nodeoracle"
)

// chooser turns bytes into choices, so that the property test (random bytes)
// and the fuzz target (the fuzzer's bytes) share one generator.
type chooser struct{ data []byte }

func (c *chooser) pick(n int) int {
	if len(c.data) == 0 {
		return 0
	}
	b := c.data[0]
	c.data = c.data[1:]
	return int(b) % n
}

func (c *chooser) from(list []string) string { return list[c.pick(len(list))] }

// A small world, so that contradictions are frequent: three keys (one the
// pool's), values with integers, two spellings of 5 (Gt 4, Lt 6 and NotIn
// [5, 05] leave "005"), int64's edge and beyond, and values no node can carry
// ("-1" is not a valid label value). A case draws its keys from the first
// one, two or three, so that one key often carries several requirements.
var (
	genKeys      = []string{"zone", "pool", "n", "bad key!"}
	genValues    = []string{"v", "w", "", "0", "1", "4", "5", "05", "6", "9223372036854775807", "9223372036854775808", "-1"}
	genOperators = []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists,
		corev1.NodeSelectorOpDoesNotExist, corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt, "Bogus"}
	genNames  = []string{"n1", "n2", "Bad_Name", ""}
	genFields = []string{"metadata.name", "metadata.name", "metadata.name", "spec.unschedulable"}
	genPools  = []map[string]string{{"pool": "v"}, {"pool": "v", "zone": "5"}}
)

func genScheduling(c *chooser) (Scheduling, Pool) {
	pool := Pool{Name: "p", Labels: genPools[c.pick(len(genPools))]}
	keys := genKeys[:1+c.pick(3)]
	var s Scheduling
	if n := c.pick(4); n > 1 {
		s.NodeSelector = map[string]string{}
		for range n - 1 {
			s.NodeSelector[c.from(append(keys, genKeys[3]))] = c.from(genValues)
		}
	}
	if c.pick(5) == 0 {
		return s, pool
	}
	required := &corev1.NodeSelector{}
	for range c.pick(4) {
		var term corev1.NodeSelectorTerm
		for range c.pick(6) {
			op := genOperators[c.pick(len(genOperators)-1)]
			if c.pick(32) == 0 {
				op = genOperators[len(genOperators)-1]
			}
			r := corev1.NodeSelectorRequirement{Key: c.from(keys), Operator: op}
			natural := 1
			if op == corev1.NodeSelectorOpExists || op == corev1.NodeSelectorOpDoesNotExist {
				natural = 0
			}
			// Mostly well-formed, sometimes not (the parser's errors).
			count := natural
			if c.pick(16) == 0 {
				count = []int{0, 1, 2}[c.pick(3)]
			} else if natural == 1 && op != corev1.NodeSelectorOpGt && op != corev1.NodeSelectorOpLt {
				count += c.pick(2)
			}
			for range count {
				r.Values = append(r.Values, c.from(genValues))
			}
			term.MatchExpressions = append(term.MatchExpressions, r)
		}
		for range c.pick(3) {
			r := corev1.NodeSelectorRequirement{Key: c.from(genFields), Operator: []corev1.NodeSelectorOperator{corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpIn, corev1.NodeSelectorOpNotIn, corev1.NodeSelectorOpExists}[c.pick(7)]}
			for range []int{1, 1, 1, 1, 1, 1, 1, 2, 0}[c.pick(9)] {
				r.Values = append(r.Values, c.from(genNames))
			}
			term.MatchFields = append(term.MatchFields, r)
		}
		required.NodeSelectorTerms = append(required.NodeSelectorTerms, term)
	}
	s.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: required}}
	return s, pool
}

// candidateLimit keeps one case under a few milliseconds.
const candidateLimit = 40000

// checkAgainstScheduler compares the exact decisions with brute force over
// candidate nodes, matched by the scheduler's own code. It returns false
// when the case has too many candidates to check.
func checkAgainstScheduler(t *testing.T, s Scheduling, pool Pool) bool {
	t.Helper()
	nodes, ok := nodeoracle.Candidates(s.NodeSelector, s.Affinity, pool.Labels, candidateLimit)
	if !ok {
		return false
	}
	required := nodeaffinity.NewRequiredNodeAffinity(s.NodeSelector, s.Affinity)
	selectorOnly := nodeaffinity.NewRequiredNodeAffinity(s.NodeSelector, nil)
	var onPool, onShared, selectorFits bool
	for _, n := range nodes {
		if ok, _ := selectorOnly.Match(n); ok {
			selectorFits = true
		}
		if ok, _ := required.Match(n); ok {
			if nodeoracle.HasLabels(n, pool.Labels) {
				onPool = true
			} else {
				onShared = true
			}
		}
	}
	describe := func() string {
		return fmt.Sprintf("pool %v, nodeSelector %v, affinity %s", pool.Labels, s.NodeSelector, affinityString(s.Affinity))
	}
	if got := CanLandOnPool(s, pool); got != onPool {
		t.Fatalf("CanLandOnPool = %v, the scheduler on %d candidates says %v: %s (%s)", got, len(nodes), onPool, describe(), PoolFit(s, pool).Reasons())
	}
	if got := CanLandOnShared(s, pool); got != onShared {
		t.Fatalf("CanLandOnShared = %v, the scheduler on %d candidates says %v: %s", got, len(nodes), onShared, describe())
	}
	dead := map[int]bool{}
	for _, d := range DeadTerms(s) {
		dead[d.Index] = true
	}
	if !selectorFits {
		if len(dead) > 0 {
			t.Fatalf("DeadTerms names terms although the nodeSelector fits no node: %s", describe())
		}
		return true
	}
	if r := requiredSelector(s.Affinity); r != nil {
		for i, term := range r.NodeSelectorTerms {
			one := &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{term}}}}
			m := nodeaffinity.NewRequiredNodeAffinity(s.NodeSelector, one)
			live := false
			for _, n := range nodes {
				if ok, _ := m.Match(n); ok {
					live = true
					break
				}
			}
			if live == dead[i] {
				t.Fatalf("term %d: dead = %v, the scheduler on %d candidates says live = %v: %s", i, dead[i], len(nodes), live, describe())
			}
		}
	}
	return true
}

func affinityString(a *corev1.Affinity) string {
	r := requiredSelector(a)
	if r == nil {
		return "none"
	}
	return fmt.Sprintf("%+v", r.NodeSelectorTerms)
}

// TestSatisfiabilityAgreesWithScheduler: for random terms, the exact
// decision and brute force through the scheduler's matcher agree.
func TestSatisfiabilityAgreesWithScheduler(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 4))
	cases, checked, fits := 3000, 0, 0
	for range cases {
		data := make([]byte, 64)
		for i := range data {
			data[i] = byte(rng.UintN(256))
		}
		s, pool := genScheduling(&chooser{data: data})
		if checkAgainstScheduler(t, s, pool) {
			checked++
			if CanLandOnPool(s, pool) {
				fits++
			}
		}
	}
	// The generator must exercise both answers, and few cases may be too big.
	t.Logf("checked %d of %d cases, %d fit the pool", checked, cases, fits)
	if checked < cases*9/10 || fits < checked/10 || fits > checked*9/10 {
		t.Errorf("checked %d of %d cases, %d fit the pool: the generator needs tuning", checked, cases, fits)
	}
}

func FuzzSatisfiability(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x01\x03\x02\x00\x01\x04\x02\x01\x00\x05\x01\x00\x03"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, pool := genScheduling(&chooser{data: data})
		checkAgainstScheduler(t, s, pool)
	})
}
