package config

import (
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
)

func parse(t *testing.T, s string) *fn.KubeObject {
	t.Helper()
	obj, err := fn.ParseKubeObject([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return obj
}

const header = "apiVersion: fn.kpt.dev/v1alpha1\nkind: WorkloadIsolation\nmetadata:\n  name: x\n"

const validSpec = `spec:
  nodePool:
    name: pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    labels: {workloadType: untrusted}
  selectors:
  - kind: Deployment
`

func TestLoad(t *testing.T) {
	cases := []struct {
		name, config string
		wantField    string
		wantMessage  string
	}{
		{"valid", header + validSpec, "", ""},
		{"unknown-field", header + strings.Replace(validSpec, "labels:", "label:", 1), "spec.nodePool.label", "unknown field"},
		{"unknown-top-level-field", header + validSpec + "extra: 1\n", "extra", "unknown field"},
		{"duplicate-field", header + strings.Replace(validSpec, "  selectors:", "  placement: {nodeAffinity: None}\n  placement: {nodeAffinity: None}\n  selectors:", 1), "functionConfig", `mapping key "placement" already defined`},
		{"wrong-type", header + strings.Replace(validSpec, "name: pool", "name: [pool]", 1), "functionConfig", "spec.nodePool.name"},
		{"wrong-kind", strings.Replace(header, "WorkloadIsolation", "Isolation", 1) + validSpec, "kind", "WorkloadIsolation.v1alpha1.fn.kpt.dev"},
		{"wrong-version", strings.Replace(header, "v1alpha1", "v1", 1) + validSpec, "kind", "WorkloadIsolation.v1alpha1.fn.kpt.dev"},
		{"empty-configmap", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: function-input\n", "data", "expected WorkloadIsolation"},
		{"configmap-unknown-key", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\ndata:\n  nodepool: x\n", "data[nodepool]", "supported values"},
		{"configmap-no-selection", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\ndata:\n  nodePool: p\n  taints: a=b:NoSchedule\n  labels: a=b\n", "data[kinds]", "say what to isolate"},
		{"configmap-bad-taints", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\ndata:\n  nodePool: p\n  taints: a=b\n  labels: a=b\n  kinds: Pod\n", "data[taints]", "no effect"},
		{"configmap-bad-bool", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: in\ndata:\n  nodePool: p\n  taints: a=b:NoSchedule\n  labels: a=b\n  kinds: Pod\n  nodeSelector: yes please\n", "data[nodeSelector]", "true or false"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w, errs := Load(parse(t, tc.config))
			if tc.wantField == "" {
				if len(errs) > 0 || w == nil {
					t.Fatalf("want valid, got %v", errs)
				}
				return
			}
			if len(errs) == 0 {
				t.Fatal("want an error")
			}
			if errs[0].Field != tc.wantField || !strings.Contains(errs[0].Error(), tc.wantMessage) {
				t.Errorf("got %q at %s; want %q at %s", errs[0].Error(), errs[0].Field, tc.wantMessage, tc.wantField)
			}
		})
	}
}

func TestLoadNoConfig(t *testing.T) {
	if _, errs := Load(fn.NewEmptyKubeObject()); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no functionConfig") {
		t.Errorf("got %v", errs)
	}
}

func TestLoadConfigMap(t *testing.T) {
	w, errs := Load(parse(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: function-input
data:
  nodePool: sandbox
  taints: sandbox.example.com/untrusted=true:NoSchedule,evict=:NoExecute
  labels: pool=sandbox,tier=untrusted
  nodeAffinity: Preferred
  preferredWeight: "30"
  nodeSelector: "false"
  kinds: Deployment, Job
  namespace: tenants-.*
  labelSelector: app
`))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	p := w.Spec.NodePool
	if p.Name != "sandbox" || len(p.Taints) != 2 || p.Labels["tier"] != "untrusted" {
		t.Errorf("pool = %+v", p)
	}
	if p.Taints[1] != (Taint{Key: "evict", Effect: corev1.TaintEffectNoExecute}) {
		t.Errorf("taint without value = %+v", p.Taints[1])
	}
	if w.Spec.Placement.NodeAffinity != AffinityPreferred || *w.Spec.Placement.PreferredWeight != 30 {
		t.Errorf("placement = %+v", w.Spec.Placement)
	}
	if len(w.Spec.Selectors) != 2 || w.Spec.Selectors[1].Kind != "Job" || *w.Spec.Selectors[1].Namespace != "tenants-.*" || w.Spec.Selectors[1].LabelSelector != "app" {
		t.Errorf("selectors = %+v", w.Spec.Selectors)
	}
}

func TestParseTaints(t *testing.T) {
	cases := []struct {
		in      string
		want    []Taint
		wantErr bool
	}{
		{"k=v:NoSchedule", []Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}}, false},
		{"a.io/k=v:NoExecute, b=:PreferNoSchedule", []Taint{{Key: "a.io/k", Value: "v", Effect: "NoExecute"}, {Key: "b", Effect: "PreferNoSchedule"}}, false},
		{"k:NoSchedule", []Taint{{Key: "k", Effect: "NoSchedule"}}, false},
		{"k=v", nil, true},
		{"k=v:", nil, true},
		{"", nil, true},
	}
	for _, tc := range cases {
		got, err := ParseTaints(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseTaints(%q) error = %v", tc.in, err)
			continue
		}
		if !tc.wantErr && len(got) != len(tc.want) {
			t.Errorf("ParseTaints(%q) = %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Errorf("ParseTaints(%q)[%d] = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}
