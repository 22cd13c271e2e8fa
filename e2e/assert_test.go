package e2e

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
)

func parseObjects(t *testing.T, yamlText string) fn.KubeObjects {
	t.Helper()
	objs, err := fn.ParseKubeObjects([]byte(yamlText))
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func find(t *testing.T, objs fn.KubeObjects, kind, name string) *fn.KubeObject {
	t.Helper()
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	t.Fatalf("no %s %s in the output", kind, name)
	return nil
}

// podSpecPaths is the tests' own table of where a kind keeps its pod spec,
// kept apart from the function's.
var podSpecPaths = map[string][]string{
	"Deployment":  {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

func podSpec(t *testing.T, obj *fn.KubeObject) corev1.PodSpec {
	t.Helper()
	path, ok := podSpecPaths[obj.GetKind()]
	if !ok {
		t.Fatalf("%s: add its kind to podSpecPaths", obj.ShortString())
	}
	sub, found, err := obj.NestedSubObject(path...)
	if err != nil || !found {
		t.Fatalf("%s has no pod spec: %v", obj.ShortString(), err)
	}
	var spec corev1.PodSpec
	if err := sub.As(&spec); err != nil {
		t.Fatal(err)
	}
	return spec
}

func hasToleration(spec corev1.PodSpec, key, value string, effect corev1.TaintEffect) bool {
	for _, tol := range spec.Tolerations {
		if tol.Key == key && tol.Value == value && tol.Effect == effect {
			return true
		}
	}
	return false
}

// requiresLabel reports whether every required term demands key=value.
func requiresLabel(spec corev1.PodSpec, key, value string) bool {
	a := spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return false
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	for _, term := range terms {
		found := false
		for _, r := range term.MatchExpressions {
			if r.Key == key && r.Operator == corev1.NodeSelectorOpIn && len(r.Values) == 1 && r.Values[0] == value {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return len(terms) > 0
}

// assertIsolatedExample checks the example's intent on a client's output:
// the untrusted Deployment and the CronJob are pinned, every existing term
// kept, and the excluded and unselected workloads are untouched.
func assertIsolatedExample(t *testing.T, output string) {
	t.Helper()
	objs := parseObjects(t, output)
	runner := podSpec(t, find(t, objs, "Deployment", "plugin-runner"))
	cron := podSpec(t, find(t, objs, "CronJob", "customer-reports"))
	for name, spec := range map[string]corev1.PodSpec{"plugin-runner": runner, "customer-reports": cron} {
		if !hasToleration(spec, "workloadType", "untrusted", corev1.TaintEffectNoExecute) || !requiresLabel(spec, "workloadType", "untrusted") {
			t.Errorf("%s is not isolated: %+v %+v", name, spec.Tolerations, spec.Affinity)
		}
	}
	if n := len(runner.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms); n != 2 {
		t.Errorf("plugin-runner has %d required terms, want its 2 original ones", n)
	}
	if !hasToleration(runner, "example.com/spot", "", corev1.TaintEffectNoSchedule) {
		t.Error("plugin-runner lost its existing toleration")
	}
	for _, o := range []*fn.KubeObject{find(t, objs, "Deployment", "api"), find(t, objs, "DaemonSet", "node-agent")} {
		if spec := podSpec(t, o); len(spec.Tolerations) > 0 || spec.Affinity != nil {
			t.Errorf("%s must be untouched", o.ShortString())
		}
	}
}
