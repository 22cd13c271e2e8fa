package testcluster

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
