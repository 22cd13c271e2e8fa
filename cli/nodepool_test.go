package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main("test", args, IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})
	return code, stdout.String(), stderr.String()
}

const emitConfig = "../testdata/golden/nodepool-emit-subset-and-system-pool/_fnconfig.yaml"

func TestNodePoolGcloud(t *testing.T) {
	code, out, stderr := runCLI(t, "nodepool", "--config", emitConfig, "--format", "gcloud")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("want a command for the pool and one for the system pool, got:\n%s", out)
	}
	for i, pool := range []string{"untrusted-pool", "system-pool"} {
		if !strings.HasPrefix(lines[i], "gcloud container aws node-pools create "+pool+" ") {
			t.Errorf("line %d: %s", i, lines[i])
		}
	}
	if !strings.Contains(lines[1], "--node-taints components.gke.io/gke-managed-components=true:NoSchedule") {
		t.Errorf("the system pool lacks the managed-components taint: %s", lines[1])
	}
}

func TestNodePoolYAML(t *testing.T) {
	code, out, stderr := runCLI(t, "nodepool", "--config", emitConfig)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs, err := fn.ParseKubeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
	}
	want := "AwsNodePool/untrusted-pool AwsNodePool/system-pool NodePool/untrusted-pool NodePool/system-pool"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("objects %s, want %s", got, want)
	}

	code, out, _ = runCLI(t, "nodepool", "--config", emitConfig, "--target", "CAPA")
	if code != ExitOK || !strings.Contains(out, "kind: AWSManagedMachinePool") || strings.Contains(out, "AwsNodePool") {
		t.Errorf("--target CAPA: exit %d\n%s", code, out)
	}
}

func TestNodePoolBadInput(t *testing.T) {
	dir := t.TempDir()
	noTarget := filepath.Join(dir, "no-target.yaml")
	if err := os.WriteFile(noTarget, []byte(`apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata: {name: x}
spec:
  nodePool:
    name: p
    taints: [{key: k, value: v, effect: NoSchedule}]
    labels: {k: v}
  selectors: [{}]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no-config", []string{"nodepool"}, "--config is required"},
		{"missing-file", []string{"nodepool", "--config", filepath.Join(dir, "nope.yaml")}, "no such file"},
		{"invalid-config", []string{"nodepool", "--config", "../testdata/golden/invalid-config/_fnconfig.yaml"}, "spec.nodePool.name"},
		{"no-target", []string{"nodepool", "--config", noTarget}, "configures no node-pool target"},
		{"gcloud-without-gke", []string{"nodepool", "--config", noTarget, "--format", "gcloud"}, "needs spec.nodePool.gkeOnAWS"},
		{"bad-output", []string{"nodepool", "--config", emitConfig, "-o", "table"}, "-o/--output must be gcloud, yaml, json"},
		{"bad-format-alias", []string{"nodepool", "--config", emitConfig, "--format", "xml"}, "-o/--output must be gcloud, yaml, json"},
		{"bad-target", []string{"nodepool", "--config", emitConfig, "--target", "EKS"}, "--target must be one of"},
		{"target-without-block", []string{"nodepool", "--config", emitConfig, "--target", "ConfigConnector"}, "spec.nodePool.configConnector"},
		{"unknown-command", []string{"nodepools"}, "unknown command \"nodepools\" for \"isolate-workloads\"\n\nDid you mean this?\n\tnodepool\n"},
		{"unknown-flag", []string{"nodepool", "--config", emitConfig, "--taget", "CAPA"}, "unknown flag: --taget\n\nDid you mean this?\n\t--target\n"},
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(t, tc.args...)
		if code != ExitBadInput || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 naming %q", tc.name, code, stderr, tc.want)
		}
	}
}

const twoPoolsConfig = "../testdata/golden/multi-pool-emit-every-target/_fnconfig.yaml"

// TestNodePoolSeveralPools prints every pool of a config with
// spec.nodePools, and the system pool after them.
func TestNodePoolSeveralPools(t *testing.T) {
	code, out, stderr := runCLI(t, "nodepool", "--config", twoPoolsConfig, "--format", "gcloud")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a command per pool and one for the system pool, got:\n%s", out)
	}
	for i, want := range []struct{ name, flag string }{
		{"tenant-a", "--max-nodes 3"}, {"tenant-b", "--node-taints tenant=b:NoExecute"}, {"system", "--max-nodes 3"},
	} {
		if !strings.HasPrefix(lines[i], "gcloud container aws node-pools create "+want.name+" ") || !strings.Contains(lines[i], want.flag) {
			t.Errorf("line %d: want pool %s with %s, got %s", i, want.name, want.flag, lines[i])
		}
	}

	code, out, stderr = runCLI(t, "nodepool", "--config", twoPoolsConfig, "--target", "Karpenter")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	objs, err := fn.ParseKubeObjects([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, o := range objs {
		names = append(names, o.GetKind()+"/"+o.GetName())
	}
	if got, want := strings.Join(names, " "), "NodePool/tenant-a NodePool/tenant-b NodePool/system"; got != want {
		t.Errorf("objects %s, want %s", got, want)
	}
}
