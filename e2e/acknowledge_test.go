package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/audit"
)

// cniPackage is a package holding the unmodified flannel manifest: a
// privileged DaemonSet that tolerates every taint, as every CNI does.
func cniPackage(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "cni")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "corpus", "manifests", "flannel-kube-flannel.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kube-flannel.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

var poolArgs = []string{"nodePool=untrusted-pool", "taints=workloadType=untrusted:NoSchedule", "labels=workloadType=untrusted", "kinds=Deployment"}

// TestKptEvalCNIWithAuditKey runs the imperative shortcut on a CNI
// manifest through real kpt. Without an audit key the privileged
// DaemonSet fails the run (privilegedTolerating is an error by default);
// with audit.privilegedTolerating=warning it exits 0.
func TestKptEvalCNIWithAuditKey(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")

	dir := cniPackage(t)
	cmd := exec.Command(kpt, append([]string{"fn", "eval", dir, "--exec", binary, "--"}, poolArgs...)...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err == nil || !strings.Contains(stderr.String(), `[error] apps/v1/DaemonSet/kube-flannel/kube-flannel-ds spec.template.spec.hostNetwork: DaemonSet tolerates the taints`) {
		t.Fatalf("without an audit key the run must fail on privilegedTolerating; err %v, output:\n%s", err, stderr.String())
	}

	// run fails the test on a non-zero exit.
	run(t, dir, kpt, append([]string{"fn", "eval", dir, "--exec", binary, "--", "audit.privilegedTolerating=warning"}, poolArgs...)...)
}

// TestKptEvalCNIAcknowledged acknowledges the CNI in the config: kpt exits
// 0 and writes the label and the reason onto the DaemonSet's pod template
// in its file, and a second run changes nothing.
func TestKptEvalCNIAcknowledged(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")

	dir := cniPackage(t)
	cfg := filepath.Join(t.TempDir(), "isolation.yaml")
	if err := os.WriteFile(cfg, []byte(`apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: untrusted
spec:
  nodePool:
    name: untrusted-pool
    taints: [{key: workloadType, value: untrusted, effect: NoSchedule}]
    labels: {workloadType: untrusted}
  selectors:
  - kind: Deployment
  audit:
    acknowledge:
    - kind: DaemonSet
      namespace: kube-flannel
      reason: "CNI: every node needs pod networking"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)
	file := filepath.Join(dir, "kube-flannel.yaml")
	first := readFile(t, file)
	ds := find(t, parseObjects(t, first), "DaemonSet", "kube-flannel-ds")
	labels, _, _ := ds.NestedStringMap("spec", "template", "metadata", "labels")
	annotations, _, _ := ds.NestedStringMap("spec", "template", "metadata", "annotations")
	if labels[audit.AcknowledgedLabel] != "true" || annotations[audit.AcknowledgedReasonAnnotation] != "CNI: every node needs pod networking" {
		t.Errorf("the DaemonSet's pod template lacks the acknowledgement: labels %v, annotations %v", labels, annotations)
	}

	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)
	if second := readFile(t, file); second != first {
		t.Errorf("the second run changed the file:\n%s", second)
	}
}
