package transformer

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/selection"
)

// Annotations the golden inputs carry for this oracle. The test author, not
// the function, says what each workload must become.
const (
	expectAnnotation     = "test.isolate-workloads.dev/expect"
	nodeLabelsAnnotation = "test.isolate-workloads.dev/node-labels"
)

// oraclePodSpecPaths is where each kind keeps its pod spec, as the
// Kubernetes API reference gives it, written out apart from the function's
// own table so that a mistake in one shows against the other.
var oraclePodSpecPaths = map[string][]string{
	"Pod":                   {"spec"},
	"PodTemplate":           {"template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"Deployment":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
	"Rollout":               {"spec", "template", "spec"},
	"ScaledJob":             {"spec", "jobTargetRef", "template", "spec"},
}

// TestSchedulerOracle decides with the scheduler's own predicates where each
// output pod template can land: an isolated template must fit a node of the
// pool and, with Required affinity, must not fit a shared node; every other
// template must come out exactly as it went in.
func TestSchedulerOracle(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			input := loadCase(t, dir)
			before := podSpecsByID(t, input.Items)
			cfg, cfgErrs := config.Load(input.FunctionConfig)
			output := loadCase(t, dir)
			_, _ = Run(output)
			after := podSpecsByID(t, output.Items)

			for id, w := range after {
				pool, isolated := strings.CutPrefix(w.expect, "isolated")
				switch {
				case w.expect == "untouched":
					if before[id].raw != w.raw {
						t.Errorf("%s: pod spec changed but must be untouched:\n%s", id, w.raw)
					}
				case isolated && (pool == "" || strings.HasPrefix(pool, ":")):
					if len(cfgErrs) > 0 {
						t.Fatalf("%s expects isolation, but the config is invalid: %v", id, cfgErrs)
					}
					if w.decodeErr != nil {
						t.Fatalf("%s: decoding the pod spec: %v", id, w.decodeErr)
					}
					assertIsolated(t, id, cfg, w, strings.TrimPrefix(pool, ":"))
				default:
					t.Errorf("%s: set the annotation %s to isolated, isolated:<pool> or untouched", id, expectAnnotation)
				}
			}
		})
	}
}

type podTemplate struct {
	raw        string
	spec       corev1.PodSpec
	decodeErr  error
	expect     string
	nodeLabels map[string]string
	resource   selection.Resource
}

func podSpecsByID(t *testing.T, items fn.KubeObjects) map[string]podTemplate {
	t.Helper()
	out := map[string]podTemplate{}
	for _, obj := range unwrapLists(t, items) {
		path, ok := oraclePodSpecPaths[obj.GetKind()]
		if !ok {
			continue
		}
		var w podTemplate
		sub, found, err := obj.NestedSubObject(path...)
		if err != nil || !found {
			t.Fatalf("%s: no pod spec at %v: %v", obj.ShortString(), path, err)
		}
		w.raw = sub.String()
		w.decodeErr = sub.As(&w.spec)
		w.expect = obj.GetAnnotation(expectAnnotation)
		w.resource = resourceOf(obj)
		if s := obj.GetAnnotation(nodeLabelsAnnotation); s != "" {
			set, err := labels.ConvertSelectorToLabelsMap(s)
			if err != nil {
				t.Fatal(err)
			}
			w.nodeLabels = set
		}
		out[obj.ShortString()] = w
	}
	return out
}

// unwrapLists replaces each List in items with its members, as kubectl
// does, so the oracle judges the workloads inside exports too.
func unwrapLists(t *testing.T, items fn.KubeObjects) fn.KubeObjects {
	t.Helper()
	var out fn.KubeObjects
	for _, obj := range items {
		rn, err := kyaml.Parse(obj.String())
		if err != nil {
			t.Fatal(err)
		}
		members := rn.Field("items")
		if !strings.HasSuffix(obj.GetKind(), "List") || members == nil {
			out = append(out, obj)
			continue
		}
		var objects fn.KubeObjects
		for _, m := range members.Value.Content() {
			if m.Kind != kyaml.MappingNode {
				continue // the function warns about it; nothing to judge
			}
			member, err := fn.ParseKubeObject([]byte(kyaml.NewRNode(m).MustString()))
			if err != nil {
				t.Fatalf("a member of %s: %v", obj.ShortString(), err)
			}
			objects = append(objects, member)
		}
		out = append(out, unwrapLists(t, objects)...)
	}
	return out
}

// assertIsolated checks a workload the test author expects on the named
// pool (empty: the only one). Its placement is the config's choice for it.
func assertIsolated(t *testing.T, id string, cfg *config.WorkloadIsolation, w podTemplate, poolName string) {
	t.Helper()
	pools := cfg.Pools()
	i := slices.IndexFunc(pools, func(p config.Pool) bool { return p.Name == poolName })
	if poolName == "" && len(pools) == 1 {
		i = 0
	}
	if i < 0 {
		t.Fatalf("%s: the config has no pool %q; with several pools, expect isolated:<pool>", id, poolName)
	}
	choice, selected, err := cfg.Select(w.resource)
	if err != nil || !selected || choice.Pool != i {
		t.Fatalf("%s: the config does not select it for pool %q (selected %v, %v)", id, poolName, selected, err)
	}
	pool, placement := pools[i], choice.Placement
	dedicated := node("dedicated", merge(w.nodeLabels, pool.Labels), pool.CoreTaints())
	shared := node("shared", w.nodeLabels, nil)
	pod := &corev1.Pod{Spec: w.spec}

	if taint, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), dedicated.Spec.Taints, w.spec.Tolerations, nil, false); untolerated {
		t.Errorf("%s: does not tolerate the pool taint %v", id, taint)
	}
	required := nodeaffinity.GetRequiredNodeAffinity(pod)
	fitsDedicated, err := required.Match(dedicated)
	if err != nil || !fitsDedicated {
		t.Errorf("%s: required node affinity does not match a node of the pool (err %v)", id, err)
	}
	// A pinned workload fits no node of another pool either.
	for j, other := range pools {
		if j == i || !placement.Pins() {
			continue
		}
		n := node(other.Name, merge(w.nodeLabels, other.Labels), other.CoreTaints())
		_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), n.Spec.Taints, w.spec.Tolerations, nil, false)
		if fits, _ := required.Match(n); fits && !untolerated {
			t.Errorf("%s: can be scheduled on a node of pool %q", id, other.Name)
		}
	}
	fitsShared, _ := required.Match(shared)
	switch mode := placement.NodeAffinity; {
	case mode == config.AffinityRequired || placement.NodeSelector:
		if fitsShared {
			t.Errorf("%s: can still be scheduled on a shared node", id)
		}
	case mode == config.AffinityPreferred:
		var terms []corev1.PreferredSchedulingTerm
		if a := w.spec.Affinity; a != nil && a.NodeAffinity != nil {
			terms = a.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution
		}
		scorer, err := nodeaffinity.NewPreferredSchedulingTerms(terms)
		if err != nil {
			t.Fatal(err)
		}
		if d, s := scorer.Score(dedicated), scorer.Score(shared); d <= s || int32(d) != *placement.PreferredWeight {
			t.Errorf("%s: preferred score on the pool %d, on a shared node %d; want the configured weight on the pool only", id, d, s)
		}
	}
}

func node(name string, l map[string]string, taints []corev1.Taint) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l}, Spec: corev1.NodeSpec{Taints: taints}}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
