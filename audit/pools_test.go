package audit

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/stretchr/testify/assert"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/placement"
)

// twoTenants audits with two pools whose nodes carry tenant=a and tenant=b.
func twoTenants() *Auditor {
	pool := func(name, tenant string, i int) Pool {
		return Pool{
			Pool: placement.Pool{Name: name, Labels: map[string]string{"tenant": tenant},
				Taints: []corev1.Taint{{Key: "tenant", Value: tenant, Effect: corev1.TaintEffectNoSchedule}}},
			Path: field.NewPath("spec", "nodePools").Index(i),
		}
	}
	a := &Auditor{Severity: config.Audit{}.Severities(), Pools: []Pool{pool("tenant-a", "a", 0), pool("tenant-b", "b", 1)}, SystemPool: true}
	for check := range a.Severity {
		a.Severity[check] = config.SeverityWarning
	}
	return a
}

func pinnedTo(tenant string) *corev1.Affinity {
	return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
		NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{
			{Key: "tenant", Operator: corev1.NodeSelectorOpIn, Values: []string{tenant}}}}}}}}
}

var (
	everyTenant = []corev1.Toleration{{Key: "tenant", Operator: corev1.TolerationOpExists}}
	privileged  = []corev1.Container{{Name: "c", SecurityContext: &corev1.SecurityContext{Privileged: new(true)}}}
)

// TestAuditSeveralPools checks which pool each finding is about when a
// workload's tolerations reach more than its own pool.
func TestAuditSeveralPools(t *testing.T) {
	cases := []struct {
		name string
		w    Workload
		want []string // check@pool, in order
	}{
		{"pinned-to-its-pool-tolerating-both", Workload{Pool: "tenant-a",
			Spec: corev1.PodSpec{Tolerations: everyTenant, Affinity: pinnedTo("a")}}, nil},
		{"unpinned-tolerating-both", Workload{Pool: "tenant-a",
			Spec: corev1.PodSpec{Tolerations: everyTenant}}, []string{"crossPoolTolerations@tenant-b"}},
		// A privilege finding is an error by default: a warning about the
		// other pool must not hide it.
		{"unpinned-privileged-tolerating-both", Workload{Pool: "tenant-a",
			Spec: corev1.PodSpec{Tolerations: everyTenant, Containers: privileged}}, []string{"privilegedTolerating@tenant-b"}},
		{"unselected-tolerating-both", Workload{
			Spec: corev1.PodSpec{Tolerations: everyTenant}}, []string{"wildcardTolerations@tenant-a", "wildcardTolerations@tenant-b"}},
		{"unselected-pinned-elsewhere", Workload{
			Spec: corev1.PodSpec{Tolerations: everyTenant, Affinity: pinnedTo("b")}}, []string{"wildcardTolerations@tenant-b"}},
		{"tolerate-only-privileged", Workload{Pool: "tenant-a", TolerateOnly: true,
			Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "tenant", Value: "a", Effect: corev1.TaintEffectNoSchedule}}, Containers: privileged}},
			[]string{"privilegedTolerating@tenant-a", "privilegedOnSharedNodes@"}},
		{"tolerate-only-unprivileged", Workload{Pool: "tenant-a", TolerateOnly: true,
			Spec: corev1.PodSpec{Tolerations: []corev1.Toleration{{Key: "tenant", Value: "a", Effect: corev1.TaintEffectNoSchedule}}}}, nil},
		// Pinned to tenant-a: the shared nodes are out of reach, and so
		// are tenant-b's nodes, which are not tenant-a's.
		{"unselected-privileged-pinned-to-a-pool", Workload{
			Spec: corev1.PodSpec{Affinity: pinnedTo("a"), Containers: privileged}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.w.Object = fn.NewEmptyKubeObject()
			tc.w.Path = field.NewPath("spec")
			var got []string
			for _, f := range twoTenants().Run([]Workload{tc.w}) {
				got = append(got, f.Check+"@"+f.Pool)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}
