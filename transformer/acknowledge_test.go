package transformer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/audit"
)

// TestAcknowledgementTouchesOnlyTheMark checks that a workload matched by
// spec.audit.acknowledge gets the label and the reason on its pod template
// and nothing else: removing the two keys from the output gives back the
// input exactly. The local-config object the entry also matches is not
// touched at all.
func TestAcknowledgementTouchesOnlyTheMark(t *testing.T) {
	dir := filepath.Join(goldenDir, "audit-acknowledged-by-config")
	before := loadCase(t, dir)
	after := loadCase(t, dir)
	if ok, err := Run(after); !ok || err != nil {
		t.Fatalf("run failed: %v %v", err, after.Results)
	}
	for i, in := range before.Items {
		out := after.Items[i]
		if in.IsLocalConfig() {
			if in.String() != out.String() {
				t.Errorf("%s is local config but changed:\n%s", in.ShortString(), out.String())
			}
			continue
		}
		if in.GetKind() != "DaemonSet" {
			continue
		}
		template := []string{"spec", "template", "metadata"}
		labels, _, _ := out.NestedStringMap(append(template, "labels")...)
		annotations, _, _ := out.NestedStringMap(append(template, "annotations")...)
		if labels[audit.AcknowledgedLabel] != "true" || annotations[audit.AcknowledgedReasonAnnotation] != "CNI: every node needs pod networking" {
			t.Fatalf("the pod template lacks the acknowledgement: labels %v, annotations %v", labels, annotations)
		}
		stripped := fn.MoveToKubeObject(out.CopyToResourceNode())
		if _, err := stripped.RemoveNestedField(append(template, "labels", audit.AcknowledgedLabel)...); err != nil {
			t.Fatal(err)
		}
		if _, err := stripped.RemoveNestedField(append(template, "annotations")...); err != nil {
			t.Fatal(err)
		}
		if stripped.String() != in.String() {
			t.Errorf("besides the acknowledgement, %s changed:\n--- in\n%s\n--- out\n%s", in.ShortString(), in.String(), stripped.String())
		}
	}
}

// TestAcknowledgementInResults checks the results a CNI acknowledged by
// the config gets: its privilege findings are info, tagged acknowledged,
// still name the privileges, and quote the reason.
func TestAcknowledgementInResults(t *testing.T) {
	rl := loadCase(t, filepath.Join(goldenDir, "audit-acknowledged-by-config"))
	if ok, err := Run(rl); !ok || err != nil {
		t.Fatalf("run failed: %v %v", err, rl.Results)
	}
	found := map[string]bool{}
	for _, r := range rl.Results {
		if r.Tags["check"] == "" {
			continue
		}
		if r.Tags["acknowledged"] != "true" || r.Severity != fn.Info {
			t.Errorf("finding not acknowledged: %s", r)
			continue
		}
		for _, want := range []string{`"CNI: every node needs pod networking"`, "hostNetwork", `container "kube-flannel" is privileged`} {
			if !strings.Contains(r.Message, want) {
				t.Errorf("%s: the message lacks %s", r.Tags["check"], want)
			}
		}
		found[r.Tags["check"]] = true
	}
	if !found[audit.CheckPrivilegedTolerating] || !found[audit.CheckPrivilegedOnSharedNodes] {
		t.Errorf("acknowledged findings: %v", found)
	}
}

// TestAcknowledgementWhereItCannotBeWritten covers the two places an
// acknowledgement of the config has nowhere to go: a pod template whose
// labels are not a map fails the run (nothing is changed), and a pod spec
// path without a sibling metadata gets a warning, the audit still honouring
// the config.
func TestAcknowledgementWhereItCannotBeWritten(t *testing.T) {
	const config = `  functionConfig:
    apiVersion: fn.kpt.dev/v1alpha1
    kind: WorkloadIsolation
    metadata: {name: x}
    spec:
      nodePool: {name: p, taints: [{key: a, value: b, effect: NoSchedule}], labels: {a: b}}
      selectors: [{kind: Deployment}]
      additionalPodSpecPaths: [{group: example.com, kind: Agent, path: spec/pod}]
      audit:
        acknowledge: [{kind: DaemonSet, reason: cni}, {kind: Agent, reason: agent}]
`
	parse := func(items string) *fn.ResourceList {
		rl, err := fn.ParseResourceList([]byte("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + items + strings.Replace(config, "  functionConfig:", "functionConfig:", 1)))
		if err != nil {
			t.Fatal(err)
		}
		return rl
	}

	rl := parse(`- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: cni}
  spec:
    template:
      metadata: {labels: [app=cni]}
      spec: {containers: [{name: c, image: i}]}
`)
	if ok, _ := Run(rl); ok {
		t.Fatal("the run succeeded with labels that are a list")
	}
	if !hasResult(rl, fn.Error, "spec.template.metadata.labels", "must be a map") {
		t.Errorf("no error at the labels: %v", rl.Results)
	}

	rl = parse(`- apiVersion: example.com/v1
  kind: Agent
  metadata: {name: agent}
  spec:
    pod:
      hostNetwork: true
      tolerations: [{operator: Exists}]
      containers: [{name: c, image: i}]
`)
	if ok, err := Run(rl); !ok || err != nil {
		t.Fatalf("run failed: %v", rl.Results)
	}
	if !hasResult(rl, fn.Warning, "", "cannot be written") {
		t.Errorf("no warning that the label cannot be written: %v", rl.Results)
	}
	if !hasResult(rl, fn.Info, "spec.pod.hostNetwork", `acknowledged in spec.audit.acknowledge[1] with the reason "agent"`) {
		t.Errorf("the audit did not honour the config's acknowledgement: %v", rl.Results)
	}
}

func hasResult(rl *fn.ResourceList, severity fn.Severity, path, message string) bool {
	for _, r := range rl.Results {
		p := ""
		if r.Field != nil {
			p = r.Field.Path
		}
		if r.Severity == severity && p == path && strings.Contains(r.Message, message) {
			return true
		}
	}
	return false
}
