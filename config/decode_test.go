package config

import (
	"fmt"
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

const header = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: x
`

const validSpec = `spec:
  nodePool:
    name: pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    labels: {workloadType: untrusted}
  selectors:
  - kind: Deployment
`

// configMapHeader starts the imperative form; its data follows.
const configMapHeader = `apiVersion: v1
kind: ConfigMap
metadata:
  name: in
data:
`

// validData is the data of a ConfigMap that loads; the invalid rows change
// one thing of it.
const validData = `  nodePool: p
  taints: a=b:NoSchedule
  labels: a=b
  kinds: Pod
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
		{"duplicate-field", header + strings.Replace(validSpec, "  selectors:", `  placement: {nodeAffinity: None}
  placement: {nodeAffinity: None}
  selectors:`, 1), "spec.placement", "the key is given twice"},
		{"wrong-type", header + strings.Replace(validSpec, "name: pool", "name: [pool]", 1), "spec.nodePool.name", "expected a string, found a list"},
		{"wrong-type-number", header + strings.Replace(validSpec, "value: untrusted", "value: 1", 1), "spec.nodePool.taints[0].value", "expected a string, found the number 1"},
		{"ack-without-reason", header + validSpec + `  audit:
    acknowledge: [{kind: DaemonSet}]
`, "spec.audit.acknowledge[0].reason", "Required"},
		{"wrong-kind", strings.Replace(header, "WorkloadIsolation", "Isolation", 1) + validSpec, "kind", "WorkloadIsolation.v1alpha1.fn.kpt.dev"},
		{"wrong-version", strings.Replace(header, "v1alpha1", "v1", 1) + validSpec, "kind", "WorkloadIsolation.v1alpha1.fn.kpt.dev"},
		{"empty-configmap", `apiVersion: v1
kind: ConfigMap
metadata:
  name: function-input
`, "data", "expected WorkloadIsolation"},
		{"valid-configmap", configMapHeader + validData, "", ""},
		{"configmap-unknown-key", configMapHeader + "  nodepool: x\n", "data[nodepool]", "supported values"},
		{"configmap-no-selection", configMapHeader + strings.Replace(validData, "  kinds: Pod\n", "", 1), "data[kinds]", "say what to isolate"},
		{"configmap-bad-taints", configMapHeader + strings.Replace(validData, "a=b:NoSchedule", "a=b", 1), "data[taints]", "no effect"},
		{"configmap-bad-bool", configMapHeader + validData + "  nodeSelector: yes please\n", "data[nodeSelector]", "true or false"},
		{"configmap-bad-audit-severity", configMapHeader + validData + "  audit.privilegedTolerating: warn\n", "data[audit.privilegedTolerating]", `supported values: "error", "warning", "info", "off"`},
		{"configmap-unknown-audit-check", configMapHeader + validData + "  audit.privileged: off\n", "data[audit.privileged]", "audit.privilegedTolerating"},
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
			if w != nil {
				t.Error("a config came back together with errors")
			}
			for _, e := range errs {
				if e.Field == tc.wantField && strings.Contains(e.Error(), tc.wantMessage) {
					return
				}
			}
			t.Errorf("want %q at %s, got %v", tc.wantMessage, tc.wantField, errs)
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

// invalidEveryKind has one problem of each kind the loader finds: a wrong
// type, an unknown field, a key given twice, invalid values (a regular
// expression, a taint effect, a severity), a missing field the user forgot
// in an acknowledgement. All must come out of one run.
const invalidEveryKind = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: x
spec:
  nodePool:
    name: pool
    taints:
    - key: workloadType
      value: untrusted
      effect: NoEvict
    labels: {workloadType: untrusted}
  placement:
    nodeSelector: "true"
  selectors:
  - kind: Deployment
    name: "web-("
  excludes:
  - namespace: kube-system
  excludes:
  - namespace: other
  audit:
    privilegedTolerating: warn
    acknowledge:
    - kind: DaemonSet
      nmae: kube-flannel-ds
`

func TestLoadReportsEveryKindAtOnce(t *testing.T) {
	want := []struct{ field, message string }{
		// In the order of the file's lines.
		{"spec.nodePool.taints[0].effect", `Unsupported value: "NoEvict"`},
		{"spec.placement.nodeSelector", `expected true or false, found "true"`},
		{"spec.selectors[0].name", "not a valid regular expression"},
		{"spec.excludes", "the key is given twice"},
		{"spec.audit.privilegedTolerating", `Unsupported value: "warn"`},
		{"spec.audit.acknowledge[0].reason", "Required value"},
		{"spec.audit.acknowledge[0].nmae", "unknown field; did you mean name?"},
	}
	w, errs := Load(parse(t, invalidEveryKind))
	if w != nil {
		t.Error("a config came back together with errors")
	}
	if len(errs) != len(want) {
		t.Fatalf("want %d errors, got %d:\n%s", len(want), len(errs), errs.ToAggregate())
	}
	for i, e := range errs {
		if e.Field != want[i].field || !strings.Contains(e.Error(), want[i].message) {
			t.Errorf("error %d: got %q at %s, want %q at %s", i, e.Error(), e.Field, want[i].message, want[i].field)
		}
		if strings.Contains(e.Error(), "(line ") {
			t.Errorf("Load names a line, which is not the user's in a ResourceList: %v", e)
		}
	}

	// From its own file, each error also names its line.
	_, errs = LoadWithLines(parse(t, invalidEveryKind))
	wantLines := []int{11, 14, 17, 20, 23, 25, 26}
	for i, e := range errs {
		if suffix := fmt.Sprintf("(line %d)", wantLines[i]); !strings.HasSuffix(e.Error(), suffix) {
			t.Errorf("error %d: %q does not end in %s", i, e.Error(), suffix)
		}
	}
}

// TestLoadDoesNotRepeatATypeError: a field of the wrong type is left empty,
// and that it is then missing is not reported as a second problem.
func TestLoadDoesNotRepeatATypeError(t *testing.T) {
	cfg := header + strings.Replace(validSpec, "labels: {workloadType: untrusted}", "labels: [workloadType=untrusted]", 1)
	_, errs := Load(parse(t, cfg))
	if len(errs) != 1 || errs[0].Field != "spec.nodePool.labels" || !strings.Contains(errs[0].Detail, "expected a map, found a list") {
		t.Errorf("want one error at spec.nodePool.labels, got %v", errs)
	}
}

func TestLoadConfigMapReportsEveryKeyAtOnce(t *testing.T) {
	_, errs := Load(parse(t, `apiVersion: v1
kind: ConfigMap
metadata:
  name: function-input
data:
  nodePool: Pool_1
  taints: a=b:NoEvict
  labels: a=b
  nodeAffinity: Always
  kinds: Pod,Deployment
  namespace: "team-("
  audit.privilegedTolerating: warn
  audit.unknownCheck: off
`))
	var got []string
	for _, e := range errs {
		got = append(got, e.Field)
	}
	want := []string{"data[audit.unknownCheck]", "data[nodePool]", "data[taints]", "data[nodeAffinity]", "data[namespace]", "data[audit.privilegedTolerating]"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("errors at %v, want %v:\n%s", got, want, errs.ToAggregate())
	}
}

func TestUnknownFieldSuggestion(t *testing.T) {
	known := []string{"name", "taints", "labels", "emit"}
	for in, want := range map[string]string{
		"taint":   "did you mean taints?",
		"Labels":  "did you mean labels?",
		"lables":  "did you mean labels?",
		"effect":  "the fields here are name, taints, labels, emit",
		"weights": "the fields here are",
	} {
		if got := unknownField(in, known); !strings.Contains(got, want) {
			t.Errorf("unknownField(%q) = %q, want %q", in, got, want)
		}
	}
}
