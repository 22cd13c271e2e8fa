package verify_test

import (
	"os"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/transformer"
	"github.com/isolate-workloads/isolate-workloads/verify"
)

var templatePaths = map[string][]string{
	"Deployment": {"spec", "template", "spec"},
	"DaemonSet":  {"spec", "template", "spec"},
	"CronJob":    {"spec", "jobTemplate", "spec", "template", "spec"},
}

// renderExample runs the function on the example workloads and config.
func renderExample(t *testing.T) (*config.WorkloadIsolation, fn.KubeObjects) {
	t.Helper()
	workloads, err := os.ReadFile("../examples/kustomization/base/workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfgData, err := os.ReadFile("../examples/kpt/isolation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	items, err := fn.ParseKubeObjects(workloads)
	if err != nil {
		t.Fatal(err)
	}
	cfgObj, err := fn.ParseKubeObject(cfgData)
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfgObj}
	if ok, err := transformer.Run(rl); !ok || err != nil {
		t.Fatalf("the function failed: %v %v", err, rl.Results)
	}
	cfg, _ := config.Load(cfgObj)
	return cfg, rl.Items
}

// fits is the scheduler's filter for taints and node affinity.
func fits(pod *corev1.Pod, node *corev1.Node) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), node.Spec.Taints, pod.Spec.Tolerations,
		func(t *corev1.Taint) bool {
			return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
		}, false)
	ok, err := nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)
	return !untolerated && ok && err == nil
}

// schedule makes the pods a real scheduler could make from the rendered
// templates: a DaemonSet gets a pod on every node it fits, anything else one
// pod on the first node it fits.
func schedule(t *testing.T, items fn.KubeObjects, nodes []corev1.Node) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	for _, obj := range items {
		path, ok := templatePaths[obj.GetKind()]
		if !ok {
			continue
		}
		sub, _, err := obj.NestedSubObject(path...)
		if err != nil {
			t.Fatal(err)
		}
		var spec corev1.PodSpec
		if err := sub.As(&spec); err != nil {
			t.Fatal(err)
		}
		for i := range nodes {
			pod := corev1.Pod{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: obj.GetName() + "-" + nodes[i].Name, Namespace: obj.GetNamespace()},
				Spec:       *spec.DeepCopy(),
			}
			if obj.GetKind() == "DaemonSet" {
				pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "DaemonSet", Name: obj.GetName()}}
			}
			if !fits(&pod, &nodes[i]) {
				continue
			}
			pod.Spec.NodeName = nodes[i].Name
			pods = append(pods, pod)
			if obj.GetKind() != "DaemonSet" {
				break
			}
		}
	}
	return pods
}

func exampleNodes(pool placement.Pool) []corev1.Node {
	common := map[string]string{"topology.kubernetes.io/zone": "us-west1-a", "kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"}
	dedicatedLabels := map[string]string{}
	for k, v := range common {
		dedicatedLabels[k] = v
	}
	for k, v := range pool.Labels {
		dedicatedLabels[k] = v
	}
	return []corev1.Node{
		{ObjectMeta: metav1.ObjectMeta{Name: "dedicated-1", Labels: dedicatedLabels}, Spec: corev1.NodeSpec{Taints: pool.Taints}},
		{ObjectMeta: metav1.ObjectMeta{Name: "shared-1", Labels: common}},
	}
}

// TestRenderedExampleVerifiesClean closes the loop: what the function
// renders, scheduled by the scheduler's predicates, verifies clean; moving
// one isolated pod to a shared node is exactly one violation.
func TestRenderedExampleVerifiesClean(t *testing.T) {
	cfg, items := renderExample(t)
	pools := placement.PoolsOf(cfg)
	nodes := exampleNodes(pools[0])
	pods := schedule(t, items, nodes)
	if len(pods) != 4 {
		t.Fatalf("scheduled %d pods, want 4 (runner, reports, api, agent)", len(pods))
	}
	state := &verify.ClusterState{Pods: pods, Nodes: nodes}
	if err := state.Check(); err != nil {
		t.Fatal(err)
	}
	report := verify.Verify(pools, state)
	if !report.Clean() || len(report.Findings) != 0 {
		t.Fatalf("rendered example does not verify clean: %+v", report.Findings)
	}
	if report.Summary.IsolatedPods != 2 || report.Summary.DedicatedNodes != 1 {
		t.Errorf("summary %+v; want the runner and the reports job isolated on the one dedicated node", report.Summary)
	}

	for i := range pods {
		if strings.HasPrefix(pods[i].Name, "plugin-runner") {
			pods[i].Spec.NodeName = "shared-1"
		}
	}
	report = verify.Verify(pools, &verify.ClusterState{Pods: pods, Nodes: nodes})
	if len(report.Findings) != 1 || report.Findings[0].Check != verify.IsolatedPodOnSharedNode || !strings.HasPrefix(report.Findings[0].Pod, "plugin-runner") {
		t.Fatalf("want exactly one isolated-pod-on-shared-node for plugin-runner, got %+v", report.Findings)
	}
}
