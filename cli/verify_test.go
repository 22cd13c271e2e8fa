package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const verifyConfig = "../examples/kpt/isolation.yaml"

func TestVerifyExitCodes(t *testing.T) {
	cases := []struct {
		fixture string
		code    int
		want    string
	}{
		{"clean.json", ExitOK, "0 violations"},
		{"isolated-pod-pending.json", ExitOK, "warning: isolated-pod-pending"},
		{"isolated-pod-on-shared-node.json", ExitFindings, "violation: isolated-pod-on-shared-node"},
		{"foreign-pod-on-dedicated-node.json", ExitFindings, "violation: foreign-pod-on-dedicated-node"},
		{"dedicated-node-missing-taint.json", ExitFindings, "violation dedicated-node-missing-taint: node ip-10-0-2-21"},
	}
	for _, tc := range cases {
		code, out, stderr := runCLI(t, "verify", "--config", verifyConfig, "--cluster-state", "../testdata/verify/"+tc.fixture)
		if code != tc.code || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d (want %d), output:\n%s%s", tc.fixture, code, tc.code, out, stderr)
		}
		if !strings.HasPrefix(out, "NAMESPACE") {
			t.Errorf("%s: the table has no header:\n%s", tc.fixture, out)
		}
	}
}

func TestVerifyStdinAndJSON(t *testing.T) {
	data, err := os.ReadFile("../testdata/verify/isolated-pod-on-shared-node.json")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Main("test", []string{"verify", "--config", verifyConfig, "-o", "json"}, IO{Stdin: bytes.NewReader(data), Stdout: &stdout, Stderr: &stderr})
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var report struct {
		Summary struct {
			Pods, Violations int
		}
		Findings []struct{ Check, Pod, Node, Reason string }
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("-o json is not JSON: %v\n%s", err, stdout.String())
	}
	if report.Summary.Pods != 3 || report.Summary.Violations != 1 || report.Findings[0].Check != "isolated-pod-on-shared-node" || report.Findings[0].Node != "ip-10-0-1-10" {
		t.Errorf("report %+v", report)
	}
}

func TestVerifyTwoFiles(t *testing.T) {
	code, out, stderr := runCLI(t, "verify", "--config", verifyConfig,
		"--cluster-state", "../testdata/verify/clean-pods.json", "--cluster-state", "../testdata/verify/clean-nodes.json")
	if code != ExitOK || !strings.Contains(out, "3 pods checked") {
		t.Errorf("exit %d\n%s%s", code, out, stderr)
	}
}

func TestVerifyBadInput(t *testing.T) {
	// --in-cluster must fail here even when the tests run in a Pod.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cases := []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"not-json", nil, "NAME READY\n", "not valid JSON"},
		{"empty-stdin", nil, "", "empty input"},
		{"other-kinds", nil, `{"kind":"List","items":[{"kind":"ConfigMap","metadata":{"name":"x"}}]}`, "unexpected kind ConfigMap"},
		{"empty-list", nil, `{"kind":"List","items":[]}`, "no Nodes"},
		{"missing-file", []string{"--cluster-state", "nope.json"}, "", "no such file"},
		{"bad-output", []string{"-o", "wide"}, "", "-o/--output must be table, json, yaml"},
		{"context-without-kubeconfig", []string{"--context", "prod"}, "", "--context needs --kubeconfig"},
		{"in-cluster-and-kubeconfig", []string{"--in-cluster", "--kubeconfig", "k"}, "", "exclude each other"},
		{"dump-and-kubeconfig", []string{"--cluster-state", "x.json", "--kubeconfig", "k"}, "", "--cluster-state reads a dump"},
		{"missing-kubeconfig", []string{"--kubeconfig", "nope.kubeconfig"}, "", "--kubeconfig nope.kubeconfig"},
		{"in-cluster-outside-a-pod", []string{"--in-cluster"}, "", "--in-cluster: unable to load in-cluster configuration"},
	}
	for _, tc := range cases {
		args := append([]string{"verify", "--config", verifyConfig}, tc.args...)
		var stdout, stderr bytes.Buffer
		code := Main("test", args, IO{Stdin: strings.NewReader(tc.stdin), Stdout: &stdout, Stderr: &stderr})
		if code != ExitBadInput || !strings.Contains(stderr.String(), tc.want) || stdout.Len() != 0 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit 2 naming %q and no output", tc.name, code, stderr.String(), stdout.String(), tc.want)
		}
	}
	code, _, stderr := runCLI(t, "verify", "--cluster-state", "../testdata/verify/clean.json")
	if code != ExitBadInput || !strings.Contains(stderr, "--config is required") {
		t.Errorf("no config: exit %d, %s", code, stderr)
	}
}
