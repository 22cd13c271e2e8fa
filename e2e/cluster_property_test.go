package e2e

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// The property test's pool: label pool=v, taint pool=v:NoSchedule. Other
// node labels are zone (a, b or absent) and size (1 or 5), and pool nodes
// and shared nodes exist for every combination of them.
const propertyConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata: {name: property}
spec:
  nodePool:
    name: p
    taints: [{key: pool, value: v, effect: NoSchedule}]
    labels: {pool: v}
  selectors: [{kind: Pod}]
  audit: {wildcardTolerations: info}
`

var (
	propertyZones = []string{"a", "b", ""}
	propertySizes = []int{1, 5}
)

// TestSchedulingTruth checks the function's scheduling claims with the real
// scheduler on random Pods: existing required terms with In, NotIn, Exists,
// DoesNotExist, Gt and Lt on the pool's key and on other keys, nodeSelectors
// and tolerations. A Pod the function accepts must be bound to a node that
// carries the pool's labels and satisfies the Pod's original constraints.
// A Pod it refuses as unsatisfiable, pinned to the pool naively (the pool's
// toleration and label requirement added to its own constraints), must stay Pending
// with the scheduler's own "didn't match" reason.
//
// Requirements on keys other than the pool's are drawn so that some node
// combination satisfies each term: the function cannot know other keys'
// values, so a term that no node can satisfy on them is outside its claim.
func TestSchedulingTruth(t *testing.T) {
	const workloads = 40
	rng := propertyRand(t)

	type workload struct {
		original corev1.Pod
		accepted bool
		applied  []byte
	}
	var ws []workload
	for i := range workloads {
		pod := corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("w-%02d", i), Namespace: "prop"},
			Spec:       randomPlacement(rng, onePoolSpace),
		}
		pod.Spec.Containers = []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}
		in, err := yaml.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		code, out, items := renderResourceList(t, propertyConfig, string(in))
		w := workload{original: pod, accepted: code == 0, applied: items}
		if !w.accepted {
			if !strings.Contains(out, "would stay Pending") {
				t.Fatalf("%s: the function failed for another reason than an unsatisfiable placement:\n%s\n%s", pod.Name, in, out)
			}
			naive := pod.DeepCopy()
			naive.Spec.Tolerations = append(naive.Spec.Tolerations, corev1.Toleration{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "v", Effect: corev1.TaintEffectNoSchedule})
			pin(&naive.Spec, corev1.NodeSelectorRequirement{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"v"}})
			if w.applied, err = yaml.Marshal(naive); err != nil {
				t.Fatal(err)
			}
		}
		ws = append(ws, w)
	}

	c := testcluster.Start(t)
	nodes := map[string]*corev1.Node{}
	for _, zone := range propertyZones {
		for _, size := range propertySizes {
			labels := map[string]string{"size": strconv.Itoa(size)}
			if zone != "" {
				labels["zone"] = zone
			}
			shared := fmt.Sprintf("shared-%s-%d", orDash(zone), size)
			nodes[shared] = c.CreateNode(t, testcluster.Node{Name: shared, Labels: labels})
			labels["pool"] = "v"
			name := fmt.Sprintf("pool-%s-%d", orDash(zone), size)
			nodes[name] = c.CreateNode(t, testcluster.Node{Name: name, Labels: labels, Taints: []corev1.Taint{{Key: "pool", Value: "v", Effect: corev1.TaintEffectNoSchedule}}})
		}
	}
	// Shared nodes with the pool's key and another value.
	nodes["other-w"] = c.CreateNode(t, testcluster.Node{Name: "other-w", Labels: map[string]string{"pool": "w", "zone": "a", "size": "1"}})
	c.CreateNamespace(t, "prop")
	accepted := 0
	for _, w := range ws {
		c.Apply(t, w.applied)
		if w.accepted {
			accepted++
		}
	}
	t.Logf("%d of %d workloads accepted", accepted, len(ws))

	var names []string
	for _, w := range ws {
		names = append(names, w.original.Name)
	}
	settled := settledPods(t, c, "prop", names)
	for _, w := range ws {
		p := settled[w.original.Name]
		spec, _ := yaml.Marshal(w.original.Spec)
		if w.accepted {
			node := nodes[p.Spec.NodeName]
			if node == nil {
				t.Errorf("%s was accepted but the scheduler left it Pending (%s); its spec:\n%s", p.Name, scheduledMessage(p), spec)
				continue
			}
			original := nodeaffinity.GetRequiredNodeAffinity(&w.original)
			if ok, _ := original.Match(node); !ok || node.Labels["pool"] != "v" {
				t.Errorf("%s was bound to %s (labels %v), which does not carry the pool's labels and satisfy its original constraints:\n%s", p.Name, node.Name, node.Labels, spec)
			}
			continue
		}
		if p.Spec.NodeName != "" {
			t.Errorf("%s was refused as unsatisfiable, yet the scheduler bound it to %s:\n%s", p.Name, p.Spec.NodeName, spec)
		} else if msg := scheduledMessage(p); !strings.Contains(msg, "didn't match Pod's node affinity/selector") {
			t.Errorf("%s is Pending for another reason than its node affinity: %s", p.Name, msg)
		}
	}
}

// propertyRand seeds a property test from the clock, or from
// SCHEDULING_TRUTH_SEED to rerun a failure.
func propertyRand(t *testing.T) *rand.Rand {
	seed := time.Now().UnixNano()
	if s := strings.TrimSpace(os.Getenv("SCHEDULING_TRUTH_SEED")); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("seed %d (rerun with SCHEDULING_TRUTH_SEED=%d)", seed, seed)
	return rand.New(rand.NewSource(seed))
}

// settledPods waits until the scheduler has bound each named pod of
// namespace or marked it unschedulable, and returns them by name.
func settledPods(t *testing.T, c *testcluster.Cluster, namespace string, names []string) map[string]*corev1.Pod {
	t.Helper()
	pods := map[string]*corev1.Pod{}
	testcluster.WaitFor(t, 2*time.Minute, "every pod bound or unschedulable", func(ctx context.Context) (bool, error) {
		for _, name := range names {
			p, err := c.Client.CoreV1().Pods(namespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			if p.Spec.NodeName == "" && !unschedulable(p) {
				return false, nil
			}
			pods[name] = p
		}
		return true, nil
	})
	return pods
}

// pin adds reqs to every required term (terms are ORed), or makes them the
// only term: what isolating would do, had the function not refused. The
// nodeSelector stays as it is.
func pin(spec *corev1.PodSpec, reqs ...corev1.NodeSelectorRequirement) {
	if spec.Affinity == nil {
		spec.Affinity = &corev1.Affinity{}
	}
	if spec.Affinity.NodeAffinity == nil {
		spec.Affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	na := spec.Affinity.NodeAffinity
	if na.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		na.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{}}}
	}
	terms := na.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for i := range terms {
		terms[i].MatchExpressions = append(terms[i].MatchExpressions, reqs...)
	}
}

func unschedulable(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
			return true
		}
	}
	return false
}

func scheduledMessage(p *corev1.Pod) string {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			return c.Reason + ": " + c.Message
		}
	}
	return "no PodScheduled condition"
}

func orDash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// placementSpace is what random placements draw from on the pools' own
// keys: nodeSelectors, requirements (in required and preferred terms) and
// tolerations, each satisfiable by a pool or not.
type placementSpace struct {
	nodeSelectors []map[string]string
	requirements  []corev1.NodeSelectorRequirement
	tolerations   []corev1.Toleration
}

// onePoolSpace is the one-pool property's: the key pool, with the pool's
// value v and a shared node's value w.
var onePoolSpace = placementSpace{
	nodeSelectors: []map[string]string{{"pool": "v"}, {"pool": "w"}},
	requirements: []corev1.NodeSelectorRequirement{
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"v"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"w"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"v", "w"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"v"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"w"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpExists},
		{Key: "pool", Operator: corev1.NodeSelectorOpDoesNotExist},
		{Key: "pool", Operator: corev1.NodeSelectorOpGt, Values: []string{"0"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpLt, Values: []string{"9"}},
	},
	tolerations: []corev1.Toleration{
		{Operator: corev1.TolerationOpExists},
		{Key: "pool", Operator: corev1.TolerationOpEqual, Value: "w", Effect: corev1.TaintEffectNoSchedule},
		{Key: "example.com/spot", Operator: corev1.TolerationOpExists},
	},
}

// randomPlacement draws a pod's existing placement constraints.
func randomPlacement(rng *rand.Rand, space placementSpace) corev1.PodSpec {
	var spec corev1.PodSpec
	pick := func(n int) int { return rng.Intn(n) }
	// Half of the pods have no nodeSelector.
	if i := pick(2 * len(space.nodeSelectors)); i < len(space.nodeSelectors) {
		spec.NodeSelector = maps.Clone(space.nodeSelectors[i])
	}
	if pick(3) > 0 {
		var terms []corev1.NodeSelectorTerm
		for range 1 + pick(2) {
			terms = append(terms, randomTerm(rng, space))
		}
		spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: terms},
		}}
	}
	if pick(3) == 0 {
		if spec.Affinity == nil {
			spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{}}
		}
		spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution = []corev1.PreferredSchedulingTerm{{
			Weight: int32(1 + pick(100)), Preference: corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{space.requirement(rng)}},
		}}
	}
	for _, tol := range space.tolerations {
		if pick(4) == 0 {
			spec.Tolerations = append(spec.Tolerations, tol)
		}
	}
	return spec
}

// randomTerm draws a term whose requirements on zone and size hold for one
// node combination, plus maybe one requirement on a pool's key.
func randomTerm(rng *rand.Rand, space placementSpace) corev1.NodeSelectorTerm {
	zone := propertyZones[rng.Intn(len(propertyZones))]
	size := propertySizes[rng.Intn(len(propertySizes))]
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) corev1.NodeSelectorRequirement {
		return corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	var zoneReqs []corev1.NodeSelectorRequirement
	if zone == "" {
		zoneReqs = []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpDoesNotExist), req("zone", corev1.NodeSelectorOpNotIn, "a", "b")}
	} else {
		other := map[string]string{"a": "b", "b": "a"}[zone]
		zoneReqs = []corev1.NodeSelectorRequirement{req("zone", corev1.NodeSelectorOpIn, zone), req("zone", corev1.NodeSelectorOpIn, zone, "c"), req("zone", corev1.NodeSelectorOpNotIn, other), req("zone", corev1.NodeSelectorOpExists)}
	}
	otherSize := map[int]int{1: 5, 5: 1}[size]
	sizeReqs := []corev1.NodeSelectorRequirement{
		req("size", corev1.NodeSelectorOpIn, strconv.Itoa(size)),
		req("size", corev1.NodeSelectorOpGt, strconv.Itoa(size-1)),
		req("size", corev1.NodeSelectorOpLt, strconv.Itoa(size+1)),
		req("size", corev1.NodeSelectorOpNotIn, strconv.Itoa(otherSize)),
		req("size", corev1.NodeSelectorOpExists),
	}
	var term corev1.NodeSelectorTerm
	if rng.Intn(2) == 0 {
		term.MatchExpressions = append(term.MatchExpressions, zoneReqs[rng.Intn(len(zoneReqs))])
	}
	if rng.Intn(2) == 0 {
		term.MatchExpressions = append(term.MatchExpressions, sizeReqs[rng.Intn(len(sizeReqs))])
	}
	if rng.Intn(3) > 0 || len(term.MatchExpressions) == 0 {
		term.MatchExpressions = append(term.MatchExpressions, space.requirement(rng))
	}
	return term
}

// requirement draws a requirement on a pool's key.
func (s placementSpace) requirement(rng *rand.Rand) corev1.NodeSelectorRequirement {
	return s.requirements[rng.Intn(len(s.requirements))]
}
