package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
	"github.com/isolate-workloads/isolate-workloads/verify"
)

// driftWorkloads are an isolated and a shared Deployment, rendered by the
// function before they are applied.
const driftWorkloads = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: sandbox, namespace: default, labels: {isolation: untrusted}}
spec:
  replicas: 2
  selector: {matchLabels: {app: sandbox}}
  template:
    metadata: {labels: {app: sandbox}}
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`

// TestVerifyClusterDrift makes each finding of verify happen on a live
// cluster, after a clean verify, and checks verify --kubeconfig reports
// exactly those: a foreign pod with a wildcard toleration bound by the
// scheduler to a pool node, a pool node whose taint was removed, an isolated
// pod forced onto a shared node with nodeName, and an isolated pod Pending
// because the pool is full.
func TestVerifyClusterDrift(t *testing.T) {
	c := testcluster.Start(t)
	// Three pods fit on each pool node, so the pool holds six.
	for _, n := range []string{"pool-1", "pool-2"} {
		c.CreateNode(t, testcluster.Node{Name: n, Labels: poolLabels, Taints: []corev1.Taint{poolTaint}, Pods: "3"})
	}
	for _, n := range []string{"shared-1", "shared-2"} {
		c.CreateNode(t, testcluster.Node{Name: n})
	}
	config := readFile(t, isolationConfig)
	rendered := renderItems(t, config, driftWorkloads)
	c.Apply(t, rendered)
	for _, p := range podsBound(t, c, "default", "app=sandbox", 2) {
		if !strings.HasPrefix(p.Spec.NodeName, "pool-") {
			t.Fatalf("isolated pod %s bound to %s", p.Name, p.Spec.NodeName)
		}
	}
	for _, p := range podsBound(t, c, "default", "app=web", 2) {
		if strings.HasPrefix(p.Spec.NodeName, "pool-") {
			t.Fatalf("shared pod %s bound to pool node %s", p.Name, p.Spec.NodeName)
		}
	}
	code, report, stderr := verifyCluster(t, isolationConfig, c.Kubeconfig)
	if code != 0 || report == nil || len(report.Findings) != 0 || report.Summary.IsolatedPods != 2 || report.Summary.DedicatedNodes != 2 {
		t.Fatalf("before the drift verify must be clean: exit %d, findings %v, summary %+v, stderr %s", code, findingKeys(report), report.Summary, stderr)
	}

	ctx := context.Background()
	// A foreign pod that tolerates everything, steered to pool-1 by its
	// hostname label: the scheduler binds it.
	c.Apply(t, []byte(`
apiVersion: v1
kind: Pod
metadata: {name: intruder, namespace: default}
spec:
  nodeSelector: {kubernetes.io/hostname: pool-1}
  tolerations: [{operator: Exists}]
  containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`))
	// The isolated spec, placed by hand on a shared node: nodeName skips
	// the scheduler, so neither taints nor affinity stop it.
	isolated := deploymentPodSpec(t, rendered, "sandbox")
	forced := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "forced", Namespace: "default"}, Spec: *isolated.DeepCopy()}
	forced.Spec.NodeName = "shared-1"
	if _, err := c.Client.CoreV1().Pods("default").Create(ctx, forced, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	podsBound(t, c, "default", "", 6) // 2 sandbox, 2 web, intruder, forced
	// Four more isolated pods for the three free places of the pool.
	overflow := &corev1.Pod{Spec: *isolated.DeepCopy()}
	for _, name := range []string{"overflow-1", "overflow-2", "overflow-3", "overflow-4"} {
		p := overflow.DeepCopy()
		p.Name, p.Namespace = name, "default"
		if _, err := c.Client.CoreV1().Pods("default").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var pending string
	testcluster.WaitFor(t, 2*time.Minute, "three overflow pods bound and one unschedulable", func(ctx context.Context) (bool, error) {
		l, err := c.Client.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		bound, unschedulable := 0, []string{}
		for _, p := range l.Items {
			if !strings.HasPrefix(p.Name, "overflow-") {
				continue
			}
			if p.Spec.NodeName != "" {
				bound++
			}
			for _, cond := range p.Status.Conditions {
				if cond.Type == corev1.PodScheduled && cond.Reason == corev1.PodReasonUnschedulable {
					unschedulable = append(unschedulable, p.Name)
				}
			}
		}
		if len(unschedulable) == 1 {
			pending = unschedulable[0]
		}
		return bound == 3 && len(unschedulable) == 1, nil
	})
	// Last, the taint goes from pool-2: nothing new is scheduled after it,
	// so it is the only change on that node.
	node, err := c.Client.CoreV1().Nodes().Get(ctx, "pool-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Spec.Taints = nil
	if _, err := c.Client.CoreV1().Nodes().Update(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	code, report, stderr = verifyCluster(t, isolationConfig, c.Kubeconfig)
	want := []string{
		verify.DedicatedNodeMissingTaint + " pool-2",
		verify.ForeignPodOnDedicatedNode + " default/intruder",
		verify.IsolatedPodOnSharedNode + " default/forced",
		verify.IsolatedPodPending + " default/" + pending,
	}
	slices.Sort(want)
	if code != 1 || report == nil || !slices.Equal(findingKeys(report), want) {
		t.Fatalf("after the drift: exit %d, findings\n  %s\nwant\n  %s\nstderr: %s", code, strings.Join(findingKeys(report), "\n  "), strings.Join(want, "\n  "), stderr)
	}
	for _, f := range report.Findings {
		if f.Check == verify.IsolatedPodPending && !strings.Contains(f.Reason, "Too many pods") {
			t.Errorf("the pending finding does not carry the scheduler's reason: %s", f.Reason)
		}
	}
}

// deploymentPodSpec returns the pod spec of a rendered Deployment.
func deploymentPodSpec(t *testing.T, rendered []byte, name string) *corev1.PodSpec {
	t.Helper()
	objs := parseObjects(t, string(rendered))
	spec := podSpec(t, find(t, objs, "Deployment", name))
	return &spec
}
