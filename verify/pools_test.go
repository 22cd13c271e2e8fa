package verify

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/placement"
)

func tenantPool(tenant string) placement.Pool {
	return placement.Pool{Name: "tenant-" + tenant, Labels: map[string]string{"tenant": tenant},
		Taints: []corev1.Taint{{Key: "tenant", Value: tenant, Effect: corev1.TaintEffectNoSchedule}}}
}

func tenantNode(name string, pool *placement.Pool) corev1.Node {
	n := corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if pool != nil {
		n.Labels, n.Spec.Taints = pool.Labels, pool.Taints
	}
	return n
}

// isolatedPod carries what the function writes for the pool: its
// tolerations and its required node affinity.
func isolatedPod(name, node string, pool *placement.Pool) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name}, Spec: corev1.PodSpec{NodeName: node}}
	if pool != nil {
		for _, t := range pool.Taints {
			p.Spec.Tolerations = append(p.Spec.Tolerations, corev1.Toleration{Key: t.Key, Operator: corev1.TolerationOpEqual, Value: t.Value, Effect: t.Effect})
		}
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: placement.Requirements(pool.Labels)}}}}}
	}
	return p
}

// TestSeveralPools checks that each pod is held to its own pool: a tenant-a
// pod on a tenant-b node is a violation of tenant-b's node.
func TestSeveralPools(t *testing.T) {
	a, b := tenantPool("a"), tenantPool("b")
	state := &ClusterState{
		Nodes: []corev1.Node{tenantNode("a-1", &a), tenantNode("b-1", &b), tenantNode("shared-1", nil)},
		Pods: []corev1.Pod{
			isolatedPod("a-web", "a-1", &a),
			isolatedPod("b-api", "b-1", &b),
			isolatedPod("a-stray", "b-1", &a),
			isolatedPod("b-escaped", "shared-1", &b),
			isolatedPod("plain", "a-1", nil),
			isolatedPod("plain-shared", "shared-1", nil),
		},
	}
	r := Verify([]placement.Pool{a, b}, state)

	type key struct{ check, pool, pod string }
	var got []key
	for _, f := range r.Findings {
		got = append(got, key{f.Check, f.Pool, f.Pod})
	}
	assert.ElementsMatch(t, []key{
		{ForeignPodOnDedicatedNode, "tenant-b", "a-stray"},
		{IsolatedPodOnSharedNode, "tenant-b", "b-escaped"},
		{ForeignPodOnDedicatedNode, "tenant-a", "plain"},
	}, got)
	assert.Equal(t, []string{"tenant-a", "tenant-b"}, r.Pools)
	assert.Equal(t, "tenant-a,tenant-b", r.Pool)
	assert.Equal(t, Summary{Pods: 6, IsolatedPods: 4, DedicatedNodes: 2, Violations: 3}, r.Summary)
	var table strings.Builder
	require.NoError(t, r.WriteTable(&table))
	assert.Contains(t, table.String(), `2 dedicated nodes in pools "tenant-a", "tenant-b", 3 violations`)
	for _, row := range r.Pods {
		if row.Pod == "a-stray" {
			assert.Equal(t, "tenant-b", row.Pool, "the table names the node's pool")
		}
	}
}
