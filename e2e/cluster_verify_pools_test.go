package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

var twoTenants = filepath.Join(repoRoot, "e2e", "testdata", "two-tenants")

// poolsReport is the part of verify's JSON report that names pools, read
// with the field names scripts use, not with verify's own types.
type poolsReport struct {
	Pools    []string `json:"pools"`
	Findings []struct {
		Check     string `json:"check"`
		Pool      string `json:"pool"`
		Namespace string `json:"namespace"`
		Pod       string `json:"pod"`
		Node      string `json:"node"`
	} `json:"findings"`
	Pods []struct {
		Namespace string `json:"namespace"`
		Pod       string `json:"pod"`
		Node      string `json:"node"`
		Pool      string `json:"pool"`
		Isolated  bool   `json:"isolated"`
	} `json:"pods"`
}

// verifyPools runs `verify --kubeconfig ... -o json` and decodes the report.
func verifyPools(t *testing.T, config, kubeconfig string) (int, poolsReport) {
	t.Helper()
	code, stdout, stderr := runBinary(t, nil, "verify", "--config", config, "--kubeconfig", kubeconfig, "-o", "json")
	var r poolsReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("verify printed no JSON report (exit %d): %v\n%s\nstderr: %s", code, err, stdout, stderr)
	}
	return code, r
}

// TestVerifyClusterTwoPools runs verify --kubeconfig on a live cluster with
// the nodes of two tenants' pools and shared nodes, and the function's
// output for a Deployment of each tenant and a shared one. Bound by the
// scheduler, it verifies clean. Then a tenant-a pod is bound to a tenant-b
// node, and another to a shared node: each finding names the pool it is
// about, the node's for the first, the pod's own for the second.
func TestVerifyClusterTwoPools(t *testing.T) {
	c := testcluster.Start(t)
	tenantA := corev1.Taint{Key: "tenant", Value: "a", Effect: corev1.TaintEffectNoExecute}
	tenantB := corev1.Taint{Key: "tenant", Value: "b", Effect: corev1.TaintEffectNoSchedule}
	nodePool := map[string]string{"tenant-a-1": "tenant-a", "tenant-a-2": "tenant-a", "tenant-b-1": "tenant-b", "shared-1": "-", "shared-2": "-"}
	c.CreateNode(t, testcluster.Node{Name: "tenant-a-1", Labels: map[string]string{"tenant": "a"}, Taints: []corev1.Taint{tenantA}})
	c.CreateNode(t, testcluster.Node{Name: "tenant-a-2", Labels: map[string]string{"tenant": "a"}, Taints: []corev1.Taint{tenantA}})
	c.CreateNode(t, testcluster.Node{Name: "tenant-b-1", Labels: map[string]string{"tenant": "b", "accelerator": "gpu"}, Taints: []corev1.Taint{tenantB}})
	// A shared node with one of tenant-b's labels: not one of its nodes.
	c.CreateNode(t, testcluster.Node{Name: "shared-1", Labels: map[string]string{"accelerator": "gpu"}})
	c.CreateNode(t, testcluster.Node{Name: "shared-2"})
	c.CreateNamespace(t, "team-a")
	c.CreateNamespace(t, "team-b")

	config := filepath.Join(twoTenants, "isolation.yaml")
	rendered := renderItems(t, readFile(t, config), readFile(t, filepath.Join(twoTenants, "workloads.yaml")))
	c.Apply(t, rendered)
	for _, tc := range []struct{ namespace, app, pool string }{
		{"team-a", "web", "tenant-a"},
		{"team-b", "trainer", "tenant-b"},
		{"default", "frontend", "-"},
	} {
		for _, p := range podsBound(t, c, tc.namespace, "app="+tc.app, 2) {
			if nodePool[p.Spec.NodeName] != tc.pool {
				t.Fatalf("pod %s/%s of pool %s was bound to %s", p.Namespace, p.Name, tc.pool, p.Spec.NodeName)
			}
		}
	}

	code, r := verifyPools(t, config, c.Kubeconfig)
	if code != 0 || len(r.Findings) != 0 {
		t.Fatalf("the scheduler's placement must verify clean: exit %d, findings %+v", code, r.Findings)
	}
	if !slices.Equal(r.Pools, []string{"tenant-a", "tenant-b"}) {
		t.Errorf("pools %q, want tenant-a and tenant-b in config order", r.Pools)
	}
	isolated := 0
	for _, row := range r.Pods {
		if row.Pool != nodePool[row.Node] {
			t.Errorf("the row of %s/%s on %s names pool %q, want %q", row.Namespace, row.Pod, row.Node, row.Pool, nodePool[row.Node])
		}
		if row.Isolated {
			isolated++
		}
	}
	if len(r.Pods) != 6 || isolated != 4 {
		t.Errorf("%d pods, %d isolated; want 6 and the 4 of the tenants", len(r.Pods), isolated)
	}

	// The tenant-a spec, placed by hand: nodeName skips the scheduler, so
	// neither taints nor affinity stop it.
	ctx := context.Background()
	spec := deploymentPodSpec(t, rendered, "web")
	for name, node := range map[string]string{"stray": "tenant-b-1", "escaped": "shared-2"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"}, Spec: *spec.DeepCopy()}
		pod.Spec.NodeName = node
		if _, err := c.Client.CoreV1().Pods("team-a").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	podsBound(t, c, "team-a", "", 4)

	code, r = verifyPools(t, config, c.Kubeconfig)
	type finding struct{ check, pool, pod, node string }
	var got []finding
	for _, f := range r.Findings {
		got = append(got, finding{f.Check, f.Pool, f.Namespace + "/" + f.Pod, f.Node})
	}
	want := []finding{
		{"foreign-pod-on-dedicated-node", "tenant-b", "team-a/stray", "tenant-b-1"},
		{"isolated-pod-on-shared-node", "tenant-a", "team-a/escaped", "shared-2"},
	}
	sortFindings := func(fs []finding) {
		slices.SortFunc(fs, func(a, b finding) int { return strings.Compare(a.pod, b.pod) })
	}
	sortFindings(got)
	sortFindings(want)
	if code != 1 || !slices.Equal(got, want) {
		t.Fatalf("after binding tenant-a pods to a tenant-b node and a shared node: exit %d, findings\n  %+v\nwant exit 1 and\n  %+v", code, got, want)
	}
	for _, row := range r.Pods {
		if row.Pod == "stray" && (row.Pool != "tenant-b" || !row.Isolated) {
			t.Errorf("the row of the stray pod names pool %q (isolated %v), want the node's pool tenant-b", row.Pool, row.Isolated)
		}
	}
	// The table says the same, for people.
	code, table, stderr := runBinary(t, nil, "verify", "--config", config, "--kubeconfig", c.Kubeconfig)
	for _, line := range []string{
		"violation foreign-pod-on-dedicated-node: pod team-a/stray on tenant-b-1: pod is isolated to pool \"tenant-a\" but runs on a node of pool \"tenant-b\"",
		"3 dedicated nodes in pools \"tenant-a\", \"tenant-b\", 2 violations",
	} {
		if code != 1 || !strings.Contains(table, line) {
			t.Errorf("the table (exit %d) lacks %q:\n%s%s", code, line, table, stderr)
		}
	}
}
