package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

// validPools is a defaulted, valid config of the several-pools form; each
// row of TestValidatePools changes one thing.
func validPools() *WorkloadIsolation {
	pool := func(name, tenant string, selectors ...Selector) PoolSpec {
		return PoolSpec{
			NodePool: NodePool{Name: name,
				Taints: []Taint{{Key: "tenant", Value: tenant, Effect: corev1.TaintEffectNoSchedule}},
				Labels: map[string]string{"tenant": tenant}},
			Selectors: selectors,
		}
	}
	w := &WorkloadIsolation{Spec: Spec{NodePools: []PoolSpec{
		pool("tenant-a", "a", Selector{Selector: selection.Selector{Namespace: ptr("team-a")}}),
		pool("tenant-b", "b", Selector{Selector: selection.Selector{Namespace: ptr("team-b")}}),
	}}}
	w.APIVersion, w.Kind = APIVersion, Kind
	w.Default()
	return w
}

func TestValidatePools(t *testing.T) {
	cases := []struct {
		name       string
		mutate     func(*WorkloadIsolation)
		wantFields []string // empty: valid
	}{
		{"valid-two-pools", func(*WorkloadIsolation) {}, nil},
		{"valid-label-keys-differ", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Labels = map[string]string{"sandbox": "true"}
		}, nil},
		{"valid-tolerate-only-selector-under-enforcement", func(w *WorkloadIsolation) {
			w.Spec.Enforcement = &Enforcement{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}
			w.Spec.NodePools[0].Selectors = append(w.Spec.NodePools[0].Selectors,
				Selector{Selector: selection.Selector{Kind: "DaemonSet"}, Placement: &Placement{NodeAffinity: AffinityNone}})
		}, nil},
		{"invalid-both-forms", func(w *WorkloadIsolation) {
			w.Spec.NodePool = &NodePool{Name: "single"}
		}, []string{"spec.nodePool"}},
		{"invalid-spec-selectors-with-pools", func(w *WorkloadIsolation) {
			w.Spec.Selectors = []Selector{{}}
		}, []string{"spec.selectors"}},
		{"invalid-duplicate-name", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Name = "tenant-a"
		}, []string{"spec.nodePools[1].name"}},
		{"invalid-system-pool-name-taken", func(w *WorkloadIsolation) {
			w.Spec.SystemNodePool = &SystemNodePool{Name: "tenant-b", TaintValue: "true", TaintEffect: corev1.TaintEffectNoSchedule}
		}, []string{"spec.systemNodePool.name"}},
		{"invalid-same-labels", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Labels = map[string]string{"tenant": "a"}
		}, []string{"spec.nodePools[1].labels"}},
		{"invalid-labels-include-another-pool", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Labels = map[string]string{"tenant": "a", "tier": "gold"}
		}, []string{"spec.nodePools[1].labels"}},
		{"invalid-pool-without-selectors", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Selectors = nil
		}, []string{"spec.nodePools[1].selectors"}},
		{"invalid-pool-exclude", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Excludes = []selection.Selector{{Name: ptr("(")}}
		}, []string{"spec.nodePools[1].excludes[0].name"}},
		{"invalid-pool-placement", func(w *WorkloadIsolation) {
			w.Spec.NodePools[0].Placement = &Placement{NodeAffinity: "Sometimes"}
		}, []string{"spec.nodePools[0].placement.nodeAffinity"}},
		{"invalid-selector-placement", func(w *WorkloadIsolation) {
			w.Spec.NodePools[1].Selectors[0].Placement = &Placement{NodeAffinity: AffinityRequired, PreferredWeight: ptr(int32(5))}
		}, []string{"spec.nodePools[1].selectors[0].placement.preferredWeight"}},
		{"invalid-preferred-selector-under-enforcement", func(w *WorkloadIsolation) {
			w.Spec.Enforcement = &Enforcement{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}}
			w.Spec.NodePools[1].Selectors[0].Placement = &Placement{NodeAffinity: AffinityPreferred}
			w.Default()
		}, []string{"spec.enforcement"}},
		{"invalid-shared-placement-under-enforcement-reported-once", func(w *WorkloadIsolation) {
			w.Spec.Enforcement = &Enforcement{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}
			w.Spec.Placement = Placement{NodeAffinity: AffinityNone}
		}, []string{"spec.enforcement"}},
		{"invalid-empty-pool-list", func(w *WorkloadIsolation) {
			w.Spec.NodePools = []PoolSpec{}
		}, []string{"spec.nodePools"}},
		{"invalid-one-pool-of-two-not-enforceable", func(w *WorkloadIsolation) {
			w.Spec.Enforcement = &Enforcement{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}
			w.Spec.NodePools[1].Taints[0].Effect = corev1.TaintEffectPreferNoSchedule
		}, []string{"spec.enforcement"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := validPools()
			tc.mutate(w)
			var fields []string
			for _, e := range w.Validate() {
				fields = append(fields, e.Field)
			}
			assert.Equal(t, tc.wantFields, fields)
		})
	}
}

func deployment(namespace, name string, labels map[string]string) selection.Resource {
	return selection.Resource{GVK: schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
		Namespace: namespace, Name: name, Labels: labels}
}

// TestSelectPlacementPrecedence checks that the most specific placement
// wins, as a whole: the selector's, then the pool's, then spec.placement.
func TestSelectPlacementPrecedence(t *testing.T) {
	w := validPools()
	w.Spec.Placement = Placement{NodeAffinity: AffinityRequired, NodeSelector: true}
	w.Spec.NodePools[1].Placement = &Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(40))}
	w.Spec.NodePools[1].Selectors = append([]Selector{{
		Selector:  selection.Selector{Namespace: ptr("team-b"), LabelSelector: "role=agent"},
		Placement: &Placement{NodeAffinity: AffinityNone},
	}}, w.Spec.NodePools[1].Selectors...)
	w.Default()
	require.Empty(t, w.Validate())

	cases := []struct {
		name     string
		resource selection.Resource
		pool     int
		selector int
		want     Placement
		own      bool
	}{
		{"spec-placement", deployment("team-a", "web", nil), 0, 0, Placement{NodeAffinity: AffinityRequired, NodeSelector: true}, false},
		{"pool-placement", deployment("team-b", "web", nil), 1, 1, Placement{NodeAffinity: AffinityPreferred, PreferredWeight: ptr(int32(40))}, true},
		{"selector-placement", deployment("team-b", "agent", map[string]string{"role": "agent"}), 1, 0, Placement{NodeAffinity: AffinityNone}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := w.Select(tc.resource)
			require.NoError(t, err)
			require.True(t, ok)
			assert.Equal(t, Choice{Pool: tc.pool, Selector: tc.selector, Placement: tc.want, OwnPlacement: tc.own}, c)
		})
	}
}

func TestSelectExcludes(t *testing.T) {
	w := validPools()
	w.Spec.Excludes = []selection.Selector{{LabelSelector: "isolation=none"}}
	w.Spec.NodePools[0].Excludes = []selection.Selector{{Name: ptr("shared-.*")}}
	require.Empty(t, w.Validate())
	for _, r := range []selection.Resource{
		deployment("team-a", "web", map[string]string{"isolation": "none"}), // spec.excludes, every pool
		deployment("team-a", "shared-cache", nil),                           // the pool's own exclude
		deployment("tools", "web", nil),                                     // no pool selects it
	} {
		_, ok, err := w.Select(r)
		assert.NoError(t, err)
		assert.False(t, ok, "%s/%s must not be selected", r.Namespace, r.Name)
	}
	c, ok, _ := w.Select(deployment("team-a", "web", nil))
	assert.True(t, ok)
	assert.Equal(t, 0, c.Pool)
}

func TestSelectOverlapNamesBothPools(t *testing.T) {
	w := validPools()
	w.Spec.NodePools[1].Selectors = append(w.Spec.NodePools[1].Selectors, Selector{Selector: selection.Selector{Name: ptr("web")}})
	require.Empty(t, w.Validate())
	_, ok, err := w.Select(deployment("team-a", "web", nil))
	assert.False(t, ok)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `node pool "tenant-a" (spec.nodePools[0].selectors[0])`)
	assert.Contains(t, err.Error(), `node pool "tenant-b" (spec.nodePools[1].selectors[1])`)
}

// TestOnePoolFormResolvesToOnePool checks the migration: the one-pool form
// is one pool at spec.nodePool with spec.selectors.
func TestOnePoolFormResolvesToOnePool(t *testing.T) {
	w := validConfig()
	require.Empty(t, w.Validate())
	require.Len(t, w.Pools(), 1)
	p := w.Pools()[0]
	assert.Equal(t, "spec.nodePool", p.Path.String())
	assert.Equal(t, "spec.selectors", p.SelectorsPath.String())
	assert.Equal(t, "spec.placement", p.PlacementPath.String())
	assert.Equal(t, "untrusted-pool", p.Name)
	assert.False(t, w.MultiPool())
}

// TestSystemPoolTakesTheFirstEmittingPool: the system pool is emitted with
// the provider blocks of the first pool that emits a target, so a first
// pool without targets does not silently drop it.
func TestSystemPoolTakesTheFirstEmittingPool(t *testing.T) {
	w := validPools()
	w.Spec.NodePools[1].Karpenter = validKarpenter()
	w.Spec.SystemNodePool = &SystemNodePool{Name: "system", TaintValue: "true", TaintEffect: corev1.TaintEffectNoSchedule}
	require.Empty(t, w.Validate())
	assert.Equal(t, 1, w.SystemPoolBase())

	w = validPools()
	require.Empty(t, w.Validate())
	assert.Equal(t, 0, w.SystemPoolBase(), "no pool emits: the first")
}
