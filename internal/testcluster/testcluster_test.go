package testcluster

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestCluster starts the control plane and checks that its parts do their
// jobs: the controller-manager creates a Deployment's pod, the scheduler
// binds it past a taint it tolerates and leaves an unfit pod Pending with
// its own reason, and a stopped cluster leaves no process behind.
func TestCluster(t *testing.T) {
	c := Start(t)
	if data, err := os.ReadFile(c.Kubeconfig); err != nil || !strings.Contains(string(data), c.Server()) {
		t.Fatalf("the admin kubeconfig does not name the server %s: %v", c.Server(), err)
	}
	taint := corev1.Taint{Key: "dedicated", Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}
	c.CreateNode(t, Node{Name: "pool-1", Labels: map[string]string{"pool": "untrusted"}, Taints: []corev1.Taint{taint}})
	c.CreateNode(t, Node{Name: "shared-1", CPU: "1"})
	c.CreateNamespace(t, "apps")

	c.Apply(t, []byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: apps}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {pool: untrusted}
      tolerations: [{key: dedicated, operator: Equal, value: untrusted, effect: NoSchedule}]
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
---
apiVersion: v1
kind: Pod
metadata: {name: too-big, namespace: apps}
spec:
  containers:
  - name: c
    image: registry.k8s.io/pause:3.10
    resources: {requests: {cpu: "2"}}
`))
	WaitFor(t, time.Minute, "the Deployment's pod bound to pool-1", func(ctx context.Context) (bool, error) {
		pods, err := c.Client.CoreV1().Pods("apps").List(ctx, metav1.ListOptions{LabelSelector: "app=web"})
		if err != nil || len(pods.Items) != 1 {
			return false, err
		}
		if n := pods.Items[0].Spec.NodeName; n != "" && n != "pool-1" {
			t.Fatalf("the pod is bound to %s, not the pool node", n)
		}
		return pods.Items[0].Spec.NodeName == "pool-1", nil
	})
	// too-big fits only pool-1 by CPU, and does not tolerate its taint.
	WaitFor(t, time.Minute, "too-big unschedulable", func(ctx context.Context) (bool, error) {
		pod, err := c.Client.CoreV1().Pods("apps").Get(ctx, "too-big", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if pod.Spec.NodeName != "" {
			t.Fatalf("too-big was bound to %s", pod.Spec.NodeName)
		}
		for _, cond := range pod.Status.Conditions {
			if cond.Type == corev1.PodScheduled && cond.Reason == corev1.PodReasonUnschedulable {
				return strings.Contains(cond.Message, "untolerated taint") && strings.Contains(cond.Message, "Insufficient cpu"), nil
			}
		}
		return false, nil
	})

	pids := c.pids()
	c.stop()
	for _, p := range c.procs {
		select {
		case <-p.done:
		default:
			t.Errorf("%s is still running after stop", p.name)
		}
	}
	if len(pids) != len(binaries) {
		t.Errorf("started %d processes, want %d", len(pids), len(binaries))
	}
}

func (c *Cluster) pids() []int {
	var pids []int
	for _, p := range c.procs {
		pids = append(pids, p.cmd.Process.Pid)
	}
	return pids
}

// TestDeclaresModule: the oracles module's tests, two folders below the
// repository root, must find the binaries of the main module's root, not a
// bin/tools beside the nested go.mod.
func TestDeclaresModule(t *testing.T) {
	for _, tc := range []struct {
		gomod string
		want  bool
	}{
		{"module github.com/isolate-workloads/isolate-workloads\n\ngo 1.26.8\n", true},
		{"// the function\nmodule \"github.com/isolate-workloads/isolate-workloads\"\n", true},
		{"module github.com/isolate-workloads/isolate-workloads/oracles\n\nreplace github.com/isolate-workloads/isolate-workloads => ../\n", false},
		{"go 1.26.8\n", false},
	} {
		if got := declaresModule([]byte(tc.gomod), modulePath); got != tc.want {
			t.Errorf("declaresModule(%q) = %v, want %v", tc.gomod, got, tc.want)
		}
	}
}

func TestHasCondition(t *testing.T) {
	crd := func(conditions ...any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"status": map[string]any{"conditions": conditions}}}
	}
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want bool
	}{
		{"established", crd(map[string]any{"type": "NamesAccepted", "status": "True"}, map[string]any{"type": "Established", "status": "True"}), true},
		{"not yet established", crd(map[string]any{"type": "NamesAccepted", "status": "True"}, map[string]any{"type": "Established", "status": "False"}), false},
		{"no conditions", &unstructured.Unstructured{Object: map[string]any{}}, false},
	} {
		got, err := hasCondition(tc.obj, "Established", "True")
		if err != nil || got != tc.want {
			t.Errorf("%s: hasCondition = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}
