package e2e

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
)

func parseObjects(t *testing.T, yamlText string) fn.KubeObjects {
	t.Helper()
	objs, err := fn.ParseKubeObjects([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(t *testing.T, objs fn.KubeObjects, kind, name string) *fn.KubeObject {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s in the output", kind, name)
	return nil
}

// podSpecPaths is the tests' own table of where a kind keeps its pod spec,
// kept apart from the function's.
var podSpecPaths = map[string][]string{
	"Deployment":  {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

func podSpec(t *testing.T, obj *fn.KubeObject) corev1.PodSpec {
	t.Helper()
	path, ok := podSpecPaths[obj.GetKind()]
	if !ok {
		t.Fatalf("%s: add its kind to podSpecPaths", obj.ShortString())
	}
	sub, found, err := obj.NestedSubObject(path...)
	if err != nil || !found {
		t.Fatalf("%s has no pod spec: %v", obj.ShortString(), err)
	}
	var spec corev1.PodSpec
	if err := sub.As(&spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

func hasToleration(spec corev1.PodSpec, key, value string, effect corev1.TaintEffect) bool {
	for _, tol := range spec.Tolerations {
		if tol.Key == key && tol.Value == value && tol.Effect == effect {
			return true
		}
	}
	return false
}

// requiresLabel reports whether every required term demands key=value.
func requiresLabel(spec corev1.PodSpec, key, value string) bool {
	a := spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for _, term := range terms {
		found := false
		for _, r := range term.MatchExpressions {
			if r.Key == key && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 && r.Values[0] == value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return len(terms) > 0
}

// assertIsolatedExample checks the example's intent on a client's output:
// the untrusted Deployment and the CronJob are pinned, every existing term
// kept, and the excluded and unselected workloads are untouched.
func assertIsolatedExample(t *testing.T, output string) {
	t.Helper()
	objs := parseObjects(t, output)
	runner := podSpec(t, find(t, objs, "Deployment", "plugin-runner"))
	cron := podSpec(t, find(t, objs, "CronJob", "customer-reports"))
	for name, spec := range map[string]corev1.PodSpec{"plugin-runner": runner, "customer-reports": cron} {
		if !hasToleration(spec, "workloadType", "untrusted", corev1.TaintEffectNoExecute) || !requiresLabel(spec, "workloadType", "untrusted") {
			t.Errorf("%s is not isolated: %+v %+v", name, spec.Tolerations, spec.Affinity)
		}
	}
	if n := len(runner.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms); n != 2 {
		t.Errorf("plugin-runner has %d required terms, want its 2 original ones", n)
	}
	if !hasToleration(runner, "example.com/spot", "", corev1.TaintEffectNoSchedule) {
		t.Error("plugin-runner lost its existing toleration")
	}
	for _, o := range []*fn.KubeObject{find(t, objs, "Deployment", "api"), find(t, objs, "DaemonSet", "node-agent")} {
		if spec := podSpec(t, o); len(spec.Tolerations) > 0 || spec.Affinity != nil {
			t.Errorf("%s must be untouched", o.ShortString())
		}
	}
}

// multiTenantExample is the example with several pools, relative to the
// repository root: kustomize builds it into its expected.yaml, kpt renders
// it into its .expected.
var multiTenantExample = filepath.Join("examples", "multi-tenant")

// multiTenantPlacement is the multi-tenant example's intent: the nodes each
// workload may run on, named by pool ("shared" is a node of no pool), and
// whether its pod template also pins the pool by nodeSelector.
var multiTenantPlacement = []struct {
	kind, name   string
	runsOn       []string
	nodeSelector bool
}{
	{"Deployment", "web", []string{"team-a"}, false},
	{"CronJob", "nightly-report", []string{"team-a"}, false},
	{"Deployment", "api", []string{"team-b"}, false},
	{"StatefulSet", "postgres", []string{"team-b"}, false},
	// The sandbox pool's own placement adds nodeSelector.
	{"Deployment", "plugin-runner", []string{"sandbox"}, true},
	// Its selector's placement (nodeAffinity: None) replaces the pool's as a
	// whole: the sandbox's toleration, no pinning.
	{"DaemonSet", "log-agent", []string{"sandbox", "shared"}, false},
	// Excluded by spec.excludes, which applies to every pool.
	{"Deployment", "shared-cache", []string{"shared"}, false},
}

// assertMultiTenantExample checks the multi-tenant example's intent on a
// client's output with the scheduler's own predicates. Its nodes are made
// from what the output emits, one per Karpenter NodePool (the template's
// labels and taints), plus a shared node, so the emitted pools and the
// placed workloads must agree.
func assertMultiTenantExample(t *testing.T, output string) {
	t.Helper()
	objs := parseObjects(t, output)
	nodes := []*corev1.Node{{ObjectMeta: metav1.ObjectMeta{Name: "shared"}}}
	for _, o := range objs {
		if o.GetAPIVersion() == "karpenter.sh/v1" && o.GetKind() == "NodePool" {
			nodes = append(nodes, karpenterNode(t, o))
		}
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if want := []string{"sandbox", "shared", "system", "team-a", "team-b"}; !slices.Equal(names, want) {
		t.Errorf("nodes from the emitted NodePools: %v, want %v (one per pool, and the system pool)", names, want)
	}
	for _, w := range multiTenantPlacement {
		spec := podSpec(t, find(t, objs, w.kind, w.name))
		var runsOn []string
		for _, n := range nodes {
			if fitsNode(spec, n) {
				runsOn = append(runsOn, n.Name)
			}
		}
		slices.Sort(runsOn)
		if !slices.Equal(runsOn, w.runsOn) {
			t.Errorf("%s %s fits nodes %v, want %v: %+v %+v", w.kind, w.name, runsOn, w.runsOn, spec.Tolerations, spec.Affinity)
		}
		if got := len(spec.NodeSelector) > 0; got != w.nodeSelector {
			t.Errorf("%s %s has nodeSelector %v; want one: %t", w.kind, w.name, spec.NodeSelector, w.nodeSelector)
		}
	}
	agent := find(t, objs, "DaemonSet", "log-agent")
	if spec := podSpec(t, agent); spec.Affinity != nil {
		t.Errorf("the tolerate-only log-agent got an affinity: %+v", spec.Affinity)
	}
	if labels, _, _ := agent.NestedStringMap("spec", "template", "metadata", "labels"); labels["isolate-workloads.dev/privileged-acknowledged"] != "true" {
		t.Errorf("spec.audit.acknowledge did not mark the log-agent's pod template: %v", labels)
	}
	if spec := podSpec(t, find(t, objs, "Deployment", "shared-cache")); len(spec.Tolerations) > 0 || spec.Affinity != nil {
		t.Error("the excluded shared-cache must be untouched")
	}
}

// karpenterNode is a node of an emitted Karpenter NodePool, named after it.
func karpenterNode(t *testing.T, pool *fn.KubeObject) *corev1.Node {
	t.Helper()
	labels, _, err := pool.NestedStringMap("spec", "template", "metadata", "labels")
	if err != nil {
		t.Fatalf("%s: %v", pool.ShortString(), err)
	}
	var template struct {
		Taints []corev1.Taint `json:"taints"`
	}
	if spec, found, err := pool.NestedSubObject("spec", "template", "spec"); err != nil || !found {
		t.Fatalf("%s has no spec.template.spec: %v", pool.ShortString(), err)
	} else if err := spec.As(&template); err != nil {
		t.Fatalf("%s: %v", pool.ShortString(), err)
	}
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: pool.GetName(), Labels: labels}, Spec: corev1.NodeSpec{Taints: template.Taints}}
}

// fitsNode asks the scheduler's own predicates whether a pod with this spec
// may be scheduled on the node: the taints that keep pods off (NoSchedule,
// NoExecute) tolerated, and nodeSelector and required node affinity met.
func fitsNode(spec corev1.PodSpec, node *corev1.Node) bool {
	keepsOff := func(taint *corev1.Taint) bool {
		return taint.Effect == corev1.TaintEffectNoSchedule || taint.Effect == corev1.TaintEffectNoExecute
	}
	if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, spec.Tolerations, keepsOff, false); untolerated {
		return false
	}
	fits, err := nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: spec}).Match(node)
	return err == nil && fits
}
