package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/isolate-workloads/isolate-workloads/selection"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

func ptr[T any](v T) *T { return &v }

// validConfig is a defaulted, valid config; each row changes one thing.
func validConfig() *WorkloadIsolation {
	w := &WorkloadIsolation{Spec: Spec{
		NodePool: &NodePool{
			Name:   "untrusted-pool",
			Taints: []Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}},
			Labels: map[string]string{"workloadType": "untrusted"},
		},
		Selectors: []Selector{{Selector: selection.Selector{Kind: "Deployment", Name: ptr("web-.*"), Namespace: ptr("team-a|team-b"),
			LabelSelector: "isolation=untrusted,tier in (web,api)", AnnotationSelector: "isolate=true"}}},
		Excludes:               []selection.Selector{{Namespace: ptr("kube-system")}},
		AdditionalPodSpecPaths: []workload.PodSpecPath{{Group: "argoproj.io", Kind: "Rollout", Path: "spec/template/spec"}},
	}}
	w.APIVersion, w.Kind = APIVersion, Kind
	w.Default()
	return w
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name      string
		mutate    func(*WorkloadIsolation)
		wantField string // empty: valid
	}{
		{"valid-defaulted", func(*WorkloadIsolation) {}, ""},
		{"valid-empty-taint-value", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Value = "" }, ""},
		{"valid-prefixed-keys", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Taints[0].Key = "sandbox.example.com/untrusted"
			w.Spec.NodePool.Labels = map[string]string{"sandbox.example.com/pool": "sandbox"}
		}, ""},
		{"valid-preferred-with-weight", func(w *WorkloadIsolation) {
			w.Spec.Placement = Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(1))}
		}, ""},
		{"valid-same-key-two-effects", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Taints = append(w.Spec.NodePool.Taints, Taint{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoSchedule})
		}, ""},
		{"valid-select-everything", func(w *WorkloadIsolation) { w.Spec.Selectors = []Selector{{}} }, ""},
		{"valid-acknowledgement", func(w *WorkloadIsolation) {
			w.Spec.Audit.Acknowledge = []Acknowledgement{{Selector: selection.Selector{Kind: "DaemonSet", Namespace: ptr("kube-flannel")}, Reason: "CNI"}}
		}, ""},
		{"valid-pool-name-40-chars", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = strings.Repeat("a", 40) }, ""},

		{"invalid-missing-pool-name", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = "" }, "spec.nodePool.name"},
		{"invalid-pool-name-uppercase", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = "Untrusted" }, "spec.nodePool.name"},
		{"invalid-pool-name-underscore", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = "un_trusted" }, "spec.nodePool.name"},
		{"invalid-pool-name-41-chars", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = strings.Repeat("a", 41) }, "spec.nodePool.name"},
		{"invalid-pool-name-trailing-dash", func(w *WorkloadIsolation) { w.Spec.NodePool.Name = "pool-" }, "spec.nodePool.name"},
		{"invalid-no-taints", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints = nil }, "spec.nodePool.taints"},
		{"invalid-taint-key-empty", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Key = "" }, "spec.nodePool.taints[0].key"},
		{"invalid-taint-key-syntax", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Key = "work load" }, "spec.nodePool.taints[0].key"},
		{"invalid-taint-value-too-long", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Value = strings.Repeat("v", 64) }, "spec.nodePool.taints[0].value"},
		{"invalid-taint-effect", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Effect = "NO_EXECUTE" }, "spec.nodePool.taints[0].effect"},
		{"invalid-taint-effect-empty", func(w *WorkloadIsolation) { w.Spec.NodePool.Taints[0].Effect = "" }, "spec.nodePool.taints[0].effect"},
		{"invalid-duplicate-taint", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Taints = append(w.Spec.NodePool.Taints, Taint{Key: "workloadType", Value: "other", Effect: corev1.TaintEffectNoExecute})
		}, "spec.nodePool.taints[1]"},
		{"invalid-no-labels", func(w *WorkloadIsolation) { w.Spec.NodePool.Labels = nil }, "spec.nodePool.labels"},
		{"invalid-label-key", func(w *WorkloadIsolation) { w.Spec.NodePool.Labels = map[string]string{"-bad": "x"} }, "spec.nodePool.labels[-bad]"},
		{"invalid-label-value", func(w *WorkloadIsolation) { w.Spec.NodePool.Labels = map[string]string{"pool": "a b"} }, "spec.nodePool.labels[pool]"},
		{"invalid-affinity-mode", func(w *WorkloadIsolation) { w.Spec.Placement.NodeAffinity = "required" }, "spec.placement.nodeAffinity"},
		{"invalid-weight-zero", func(w *WorkloadIsolation) {
			w.Spec.Placement = Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(0))}
		}, "spec.placement.preferredWeight"},
		{"invalid-weight-101", func(w *WorkloadIsolation) {
			w.Spec.Placement = Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(101))}
		}, "spec.placement.preferredWeight"},
		{"invalid-weight-without-preferred", func(w *WorkloadIsolation) { w.Spec.Placement.PreferredWeight = ptr(int32(50)) }, "spec.placement.preferredWeight"},
		{"invalid-no-selectors", func(w *WorkloadIsolation) { w.Spec.Selectors = nil }, "spec.selectors"},
		{"invalid-name-regex", func(w *WorkloadIsolation) { w.Spec.Selectors[0].Name = ptr("web-(") }, "spec.selectors[0].name"},
		{"invalid-namespace-regex", func(w *WorkloadIsolation) { w.Spec.Selectors[0].Namespace = ptr("[a-") }, "spec.selectors[0].namespace"},
		{"invalid-label-selector", func(w *WorkloadIsolation) { w.Spec.Selectors[0].LabelSelector = "tier in web" }, "spec.selectors[0].labelSelector"},
		{"invalid-annotation-selector", func(w *WorkloadIsolation) { w.Spec.Selectors[0].AnnotationSelector = "a==b==c" }, "spec.selectors[0].annotationSelector"},
		{"invalid-exclude-regex", func(w *WorkloadIsolation) { w.Spec.Excludes[0].Namespace = ptr("(") }, "spec.excludes[0].namespace"},
		{"invalid-acknowledgement-no-reason", func(w *WorkloadIsolation) {
			w.Spec.Audit.Acknowledge = []Acknowledgement{{Selector: selection.Selector{Kind: "DaemonSet"}, Reason: " "}}
		}, "spec.audit.acknowledge[0].reason"},
		{"invalid-acknowledgement-name-regex", func(w *WorkloadIsolation) {
			w.Spec.Audit.Acknowledge = []Acknowledgement{{Selector: selection.Selector{Name: ptr("cni-(")}, Reason: "CNI"}}
		}, "spec.audit.acknowledge[0].name"},
		{"invalid-audit-severity", func(w *WorkloadIsolation) { w.Spec.Audit.NoExecuteEviction = "warn" }, "spec.audit.noExecuteEviction"},
		{"invalid-pod-spec-path-no-kind", func(w *WorkloadIsolation) { w.Spec.AdditionalPodSpecPaths[0].Kind = "" }, "spec.additionalPodSpecPaths[0].kind"},
		{"invalid-pod-spec-path-no-path", func(w *WorkloadIsolation) { w.Spec.AdditionalPodSpecPaths[0].Path = "" }, "spec.additionalPodSpecPaths[0].path"},
		{"invalid-pod-spec-path-empty-segment", func(w *WorkloadIsolation) { w.Spec.AdditionalPodSpecPaths[0].Path = "spec//spec" }, "spec.additionalPodSpecPaths[0].path"},
		{"invalid-karpenter-restricted-label", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Karpenter = validKarpenter()
			w.Spec.NodePool.Labels["karpenter.sh/team"] = "sandbox"
		}, "spec.nodePool.labels[karpenter.sh/team]"},
		{"invalid-karpenter-restricted-system-pool-label", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Karpenter = validKarpenter()
			w.Spec.SystemNodePool = &SystemNodePool{Name: "system", TaintValue: "true", TaintEffect: corev1.TaintEffectNoSchedule,
				Labels: map[string]string{"kubernetes.io/hostname": "a"}}
		}, "spec.systemNodePool.labels[kubernetes.io/hostname]"},
		{"invalid-system-pool-named-as-the-pool", func(w *WorkloadIsolation) {
			w.Spec.SystemNodePool = &SystemNodePool{Name: "untrusted-pool", TaintValue: "true", TaintEffect: corev1.TaintEffectNoSchedule}
		}, "spec.systemNodePool.name"},
		{"valid-karpenter-capacity-type-label", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Karpenter = validKarpenter()
			w.Spec.NodePool.Labels["karpenter.sh/capacity-type"] = "spot"
		}, ""},
		{"valid-karpenter-label-without-karpenter-target", func(w *WorkloadIsolation) {
			w.Spec.NodePool.Labels["karpenter.sh/team"] = "sandbox"
		}, ""},
		{"invalid-pod-spec-path-index", func(w *WorkloadIsolation) { w.Spec.AdditionalPodSpecPaths[0].Path = "spec/containers[0]" }, "spec.additionalPodSpecPaths[0].path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := validConfig()
			tc.mutate(w)
			errs := w.Validate()
			if tc.wantField == "" {
				require.Empty(t, errs)
				return
			}
			require.Len(t, errs, 1, "want exactly one error at %s", tc.wantField)
			assert.Equal(t, tc.wantField, errs[0].Field, errs[0].Error())
		})
	}
}

func validKarpenter() *Karpenter {
	return &Karpenter{NodeClassRef: KarpenterNodeClassRef{Group: "karpenter.k8s.aws", Kind: "EC2NodeClass", Name: "default"}}
}

// TestValidateReportsEveryTargetProblem checks that a target's required
// field and another target's label rule come out of one run.
func TestValidateReportsEveryTargetProblem(t *testing.T) {
	w := validConfig()
	w.Spec.NodePool.GKEOnAWS = &GKEOnAWS{Location: "us-west1", Cluster: "c", NodeVersion: "1.30", SubnetID: "s",
		IAMInstanceProfile: "p", MaxPodsPerNode: ptr(int64(110)), MinNodes: ptr(int32(1)), MaxNodes: ptr(int32(3))}
	w.Spec.NodePool.Karpenter = validKarpenter()
	w.Spec.NodePool.Labels["karpenter.sh/nodepool"] = "x"
	var fields []string
	for _, e := range w.Validate() {
		fields = append(fields, e.Field)
	}
	assert.Equal(t, []string{"spec.nodePool.gkeOnAWS.configEncryptionKMSKeyARN", "spec.nodePool.labels[karpenter.sh/nodepool]"}, fields)
	assert.Nil(t, w.Pools(), "an invalid config keeps its compiled selectors")
}

// TestValidateCompilesSelectors checks that the selectors a run uses are
// the ones validation compiled.
func TestValidateCompilesSelectors(t *testing.T) {
	w := validConfig()
	w.Spec.Audit.Acknowledge = []Acknowledgement{
		{Selector: selection.Selector{Kind: "DaemonSet", Namespace: ptr("kube-flannel")}, Reason: "CNI"},
		{Selector: selection.Selector{Kind: "DaemonSet"}, Reason: "agents"},
	}
	require.Empty(t, w.Validate())
	web := selection.Resource{GVK: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, Name: "web-1", Namespace: "team-a",
		Labels: map[string]string{"isolation": "untrusted", "tier": "web"}, Annotations: map[string]string{"isolate": "true"}}
	_, selected, err := w.Select(web)
	require.NoError(t, err)
	assert.True(t, selected, "the compiled selectors select web-1")
	flannel := selection.Resource{GVK: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DaemonSet"}, Name: "flannel", Namespace: "kube-flannel"}
	assert.Equal(t, 0, w.AcknowledgeMatcher().First(flannel), "the first acknowledgement matches flannel")
}

// TestValidateReportsEverything checks that one pass finds every problem.
func TestValidateReportsEverything(t *testing.T) {
	w := validConfig()
	w.Spec.NodePool.Name = ""
	w.Spec.NodePool.Taints[0].Effect = "Evict"
	w.Spec.Selectors[0].Name = ptr("(")
	assert.Len(t, w.Validate(), 3)
}

func TestDefault(t *testing.T) {
	w := &WorkloadIsolation{}
	w.Default()
	if w.Spec.Placement.NodeAffinity != AffinityRequired || w.Spec.Placement.PreferredWeight != nil {
		t.Errorf("default placement = %+v", w.Spec.Placement)
	}
	w = &WorkloadIsolation{Spec: Spec{Placement: Placement{NodeAffinity: AffinityPreferred}}}
	w.Default()
	if got := w.Spec.Placement.PreferredWeight; got == nil || *got != DefaultPreferredWeight {
		t.Errorf("default preferred weight = %v", got)
	}
}
