package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// The two-pool property's config. The pools share the label key tenant with
// different values; tenant-b has a second label, and a NoExecute taint on
// a key that is not a label. Each pool takes the workloads labelled
// select=<tenant> pinned, and those labelled select=<tenant>-tolerate
// tolerate-only.
const twoPoolConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata: {name: two-pools}
spec:
  nodePools:
  - name: tenant-a
    taints: [{key: tenant, value: a, effect: NoSchedule}]
    labels: {tenant: a}
    selectors:
    - labelSelector: select=a
    - labelSelector: select=a-tolerate
      placement: {nodeAffinity: None}
  - name: tenant-b
    taints: [{key: dedicated, value: gpu, effect: NoExecute}]
    labels: {tenant: b, accelerator: gpu}
    selectors:
    - labelSelector: select=b
    - labelSelector: select=b-tolerate
      placement: {nodeAffinity: None}
  audit: {wildcardTolerations: info, crossPoolTolerations: info}
`

// propertyPool is a pool of twoPoolConfig, written out independently of the
// function's code: the test's oracle.
type propertyPool struct {
	name   string
	labels map[string]string
	taints []corev1.Taint
}

var (
	tenantA = propertyPool{name: "tenant-a", labels: map[string]string{"tenant": "a"},
		taints: []corev1.Taint{{Key: "tenant", Value: "a", Effect: corev1.TaintEffectNoSchedule}}}
	tenantB = propertyPool{name: "tenant-b", labels: map[string]string{"tenant": "b", "accelerator": "gpu"},
		taints: []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoExecute}}}
	propertyPools = []*propertyPool{&tenantA, &tenantB}
)

// requirements are the pool's labels as In requirements, sorted by key.
func (p propertyPool) requirements() []corev1.NodeSelectorRequirement {
	var reqs []corev1.NodeSelectorRequirement
	for _, k := range slices.Sorted(maps.Keys(p.labels)) {
		reqs = append(reqs, corev1.NodeSelectorRequirement{Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{p.labels[k]}})
	}
	return reqs
}

// tolerations tolerate exactly the pool's taints.
func (p propertyPool) tolerations() []corev1.Toleration {
	var tols []corev1.Toleration
	for _, t := range p.taints {
		tols = append(tols, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpEqual, Value: t.Value, Effect: t.Effect})
	}
	return tols
}

// toleratedBy reports whether tolerations tolerate every taint of the pool
// that keeps pods off (NoSchedule and NoExecute), as the scheduler decides.
func (p propertyPool) toleratedBy(tolerations []corev1.Toleration) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), p.taints, tolerations, doNotSchedule, false)
	return !untolerated
}

func doNotSchedule(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

// twoPoolSpace draws requirements and nodeSelectors on both pools' label
// keys, with values of either pool, of a shared node (tenant=c) or none,
// and tolerations of either pool, of both, or of everything.
var twoPoolSpace = placementSpace{
	nodeSelectors: []map[string]string{{"tenant": "a"}, {"tenant": "b"}, {"tenant": "c"}, {"accelerator": "gpu"}},
	requirements: []corev1.NodeSelectorRequirement{
		{Key: "tenant", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpIn, Values: []string{"c"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"a"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"b"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"a", "c"}},
		{Key: "tenant", Operator: corev1.NodeSelectorOpExists},
		{Key: "tenant", Operator: corev1.NodeSelectorOpDoesNotExist},
		{Key: "accelerator", Operator: corev1.NodeSelectorOpIn, Values: []string{"gpu"}},
		{Key: "accelerator", Operator: corev1.NodeSelectorOpNotIn, Values: []string{"gpu"}},
		{Key: "accelerator", Operator: corev1.NodeSelectorOpExists},
		{Key: "accelerator", Operator: corev1.NodeSelectorOpDoesNotExist},
	},
	tolerations: []corev1.Toleration{
		{Operator: corev1.TolerationOpExists},
		{Key: "tenant", Operator: corev1.TolerationOpEqual, Value: "a", Effect: corev1.TaintEffectNoSchedule},
		{Key: "tenant", Operator: corev1.TolerationOpExists},
		{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
		{Key: "example.com/spot", Operator: corev1.TolerationOpExists},
	},
}

// twoPoolSelection is how a random workload is selected: the value of its
// select label, the pool, and whether the pool pins it.
type twoPoolSelection struct {
	label  string
	pool   *propertyPool
	pinned bool
}

var twoPoolSelections = []twoPoolSelection{
	{"a", &tenantA, true}, {"a-tolerate", &tenantA, false},
	{"b", &tenantB, true}, {"b-tolerate", &tenantB, false},
	{"", nil, false},
}

// twoPoolAgents are DaemonSets, one per way of selecting: each gets a pod on
// every node it fits, so together they show where each kind of workload
// may go, on every node at once.
const twoPoolAgents = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: a-tolerating-agent, namespace: pools, labels: {select: a-tolerate}}
spec:
  selector: {matchLabels: {app: a-tolerating-agent}}
  template:
    metadata: {labels: {app: a-tolerating-agent}}
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: b-pinned-agent, namespace: pools, labels: {select: b}}
spec:
  selector: {matchLabels: {app: b-pinned-agent}}
  template:
    metadata: {labels: {app: b-pinned-agent}}
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: unselected-agent, namespace: pools}
spec:
  selector: {matchLabels: {app: unselected-agent}}
  template:
    metadata: {labels: {app: unselected-agent}}
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`

// TestSchedulingTruthTwoPools is TestSchedulingTruth for a config with two
// pools, on nodes of both pools and shared nodes: random Pods, each
// selected pinned or tolerate-only by one pool, or not at all, rendered by
// the function and bound by the real scheduler.
//
//   - A pinned Pod the function accepts is bound to a node of its own pool
//     that satisfies its original constraints, even when it also tolerates
//     the other pool. One it refuses as unsatisfiable, pinned naively, stays
//     Pending because of its node affinity.
//   - A tolerate-only Pod is bound to a shared node, a node of its own pool,
//     or a node of the other pool only when it tolerated that pool itself;
//     it stays Pending only if no node fits its original constraints with
//     its pool's tolerations added.
//   - An unselected Pod lands on a pool's node only when it tolerated that
//     pool itself: the function adds nothing to it.
//
// DaemonSets show the same on every node at once: a tolerate-only agent
// runs on exactly the shared nodes and its pool's, a pinned one on exactly
// its pool's, an unselected one on exactly the shared nodes.
func TestSchedulingTruthTwoPools(t *testing.T) {
	const workloads = 60
	rng := propertyRand(t)

	type workload struct {
		original  corev1.Pod
		selection twoPoolSelection
		accepted  bool
		// expected is the spec the claims are about: the original with what
		// isolating adds (a refused Pod is applied so, naively).
		expected corev1.PodSpec
		applied  []byte
	}
	var ws []workload
	for i := range workloads {
		sel := twoPoolSelections[rng.Intn(len(twoPoolSelections))]
		pod := corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("w-%02d", i), Namespace: "pools"},
			Spec:       randomPlacement(rng, twoPoolSpace),
		}
		if sel.label != "" {
			pod.Labels = map[string]string{"select": sel.label}
		}
		pod.Spec.Containers = []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}
		in, err := yaml.Marshal(pod)
		if err != nil {
			t.Fatal(err)
		}
		code, out, items := renderResourceList(t, twoPoolConfig, string(in))
		w := workload{original: pod, selection: sel, accepted: code == 0, applied: items, expected: *pod.Spec.DeepCopy()}
		if sel.pool != nil {
			w.expected.Tolerations = append(w.expected.Tolerations, sel.pool.tolerations()...)
			if sel.pinned {
				pin(&w.expected, sel.pool.requirements()...)
			}
		}
		if !w.accepted {
			if sel.pool == nil || !strings.Contains(out, "would stay Pending") {
				t.Fatalf("%s (select=%q): the function failed for another reason than an unsatisfiable placement:\n%s\n%s", pod.Name, sel.label, in, out)
			}
			naive := pod.DeepCopy()
			naive.Spec = *w.expected.DeepCopy()
			if w.applied, err = yaml.Marshal(naive); err != nil {
				t.Fatal(err)
			}
		}
		ws = append(ws, w)
	}
	agents := renderItems(t, twoPoolConfig, twoPoolAgents)

	c := testcluster.Start(t)
	nodes := map[string]*corev1.Node{}
	// nodePool maps a node to its pool, nil for a shared node.
	nodePool := map[string]*propertyPool{}
	for _, zone := range propertyZones {
		for _, size := range propertySizes {
			base := map[string]string{"size": strconv.Itoa(size)}
			if zone != "" {
				base["zone"] = zone
			}
			shared := fmt.Sprintf("shared-%s-%d", orDash(zone), size)
			nodes[shared] = c.CreateNode(t, testcluster.Node{Name: shared, Labels: base})
			for _, pool := range propertyPools {
				for _, gpu := range []bool{false, true} {
					labels := maps.Clone(base)
					name := fmt.Sprintf("%s-%s-%d", pool.name, orDash(zone), size)
					// accelerator is one of tenant-b's labels, and any
					// other key to tenant-a: its nodes have it or not.
					if gpu {
						if _, own := pool.labels["accelerator"]; own {
							continue
						}
						labels["accelerator"] = "gpu"
						name += "-gpu"
					}
					maps.Copy(labels, pool.labels)
					nodes[name] = c.CreateNode(t, testcluster.Node{Name: name, Labels: labels, Taints: pool.taints})
					nodePool[name] = pool
				}
			}
		}
	}
	// Shared nodes that carry one of the pools' keys: another tenant, and
	// tenant-b's second label without its first.
	nodes["shared-tenant-c"] = c.CreateNode(t, testcluster.Node{Name: "shared-tenant-c", Labels: map[string]string{"tenant": "c", "zone": "a", "size": "1"}})
	nodes["shared-gpu"] = c.CreateNode(t, testcluster.Node{Name: "shared-gpu", Labels: map[string]string{"accelerator": "gpu", "zone": "b", "size": "5"}})
	c.CreateNamespace(t, "pools")
	counts := map[string]int{}
	for _, w := range ws {
		c.Apply(t, w.applied)
		counts[fmt.Sprintf("select=%q accepted=%v", w.selection.label, w.accepted)]++
	}
	t.Logf("workloads: %v", counts)
	c.Apply(t, agents)

	var names []string
	for _, w := range ws {
		names = append(names, w.original.Name)
	}
	settled := settledPods(t, c, "pools", names)
	// fits is the scheduler's filter for taints and node affinity.
	fits := func(spec corev1.PodSpec, node *corev1.Node) bool {
		_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, spec.Tolerations, doNotSchedule, false)
		ok, err := nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: spec}).Match(node)
		return !untolerated && ok && err == nil
	}
	for _, w := range ws {
		p := settled[w.original.Name]
		spec, _ := yaml.Marshal(w.original.Spec)
		sel, node := w.selection, nodes[p.Spec.NodeName]
		what := fmt.Sprintf("%s (select=%q)", p.Name, sel.label)
		switch {
		case !w.accepted && sel.pinned:
			if node != nil {
				t.Errorf("%s was refused as unsatisfiable, yet the scheduler bound it to %s:\n%s", what, node.Name, spec)
			} else if msg := scheduledMessage(p); !strings.Contains(msg, "didn't match Pod's node affinity/selector") {
				t.Errorf("%s is Pending for another reason than its node affinity: %s", what, msg)
			}
		case !w.accepted:
			// Only a pinned workload can stay Pending for its pool: an
			// unpinned one the pool is out of reach for is left unchanged,
			// with a warning, and runs elsewhere.
			t.Errorf("%s is not pinned, yet the function refused it; its spec:\n%s", what, spec)
		case sel.pinned:
			if node == nil {
				t.Errorf("%s was accepted but the scheduler left it Pending (%s); its spec:\n%s", what, scheduledMessage(p), spec)
				continue
			}
			original := nodeaffinity.GetRequiredNodeAffinity(&w.original)
			if ok, _ := original.Match(node); !ok || nodePool[node.Name] != sel.pool {
				t.Errorf("%s is pinned to %s but was bound to %s (labels %v), which is not its pool's or does not satisfy its original constraints:\n%s", what, sel.pool.name, node.Name, node.Labels, spec)
			}
		default:
			if node == nil {
				for _, n := range nodes {
					if fits(w.expected, n) {
						t.Errorf("%s is Pending (%s), but its original constraints with its pool's tolerations fit node %s:\n%s", what, scheduledMessage(p), n.Name, spec)
						break
					}
				}
				continue
			}
			original := nodeaffinity.GetRequiredNodeAffinity(&w.original)
			if ok, _ := original.Match(node); !ok {
				t.Errorf("%s was bound to %s (labels %v), which does not satisfy its original constraints:\n%s", what, node.Name, node.Labels, spec)
			}
			if on := nodePool[node.Name]; on != nil && on != sel.pool && !on.toleratedBy(w.original.Spec.Tolerations) {
				t.Errorf("%s was bound to %s of pool %s, whose taints it did not tolerate itself:\n%s", what, node.Name, on.name, spec)
			}
		}
	}

	var shared, onA, onB []string
	for name := range nodes {
		switch nodePool[name] {
		case nil:
			shared = append(shared, name)
		case &tenantA:
			onA = append(onA, name)
		default:
			onB = append(onB, name)
		}
	}
	for app, want := range map[string][]string{
		"a-tolerating-agent": append(slices.Clone(shared), onA...),
		"b-pinned-agent":     onB,
		"unselected-agent":   shared,
	} {
		var got []string
		for _, p := range daemonSetPods(t, c, "pools", app) {
			got = append(got, p.Spec.NodeName)
		}
		sort.Strings(got)
		want = slices.Sorted(slices.Values(want))
		if !slices.Equal(got, want) {
			t.Errorf("DaemonSet %s runs on\n  %v\nwant\n  %v", app, got, want)
		}
	}
}

// daemonSetPods waits until the DaemonSet controller has created a pod for
// every node it decided the DaemonSet's pods fit, and the scheduler has
// bound them all, and returns them.
func daemonSetPods(t *testing.T, c *testcluster.Cluster, namespace, name string) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	testcluster.WaitFor(t, 2*time.Minute, "the pods of DaemonSet "+name+" bound", func(ctx context.Context) (bool, error) {
		ds, err := c.Client.AppsV1().DaemonSets(namespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil || ds.Status.ObservedGeneration != ds.Generation {
			return false, err
		}
		l, err := c.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: metav1.FormatLabelSelector(ds.Spec.Selector)})
		if err != nil {
			return false, err
		}
		pods = l.Items
		desired := int(ds.Status.DesiredNumberScheduled)
		return len(pods) == desired && int(ds.Status.CurrentNumberScheduled) == desired && allBound(pods), nil
	})
	return pods
}
