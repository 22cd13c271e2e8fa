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
