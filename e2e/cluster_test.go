package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
	"github.com/isolate-workloads/isolate-workloads/verify"
)

// The tests on a real control plane share the examples' pool: nodes of the
// pool carry its label and its NoExecute taint.
var (
	poolLabels = map[string]string{"workloadType": "untrusted"}
	poolTaint  = corev1.Taint{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}
	verifyJob  = filepath.Join(repoRoot, "examples", "verify-job")
)

// runBinary runs the function binary and returns its exit code and streams.
func runBinary(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	return runWithStdin(t, stdin, binary, args...)
}

// runCommand runs a binary with empty stdin and returns its exit code and
// streams.
func runCommand(t *testing.T, path string, args ...string) (int, string, string) {
	t.Helper()
	return runWithStdin(t, nil, path, args...)
}

func runWithStdin(t *testing.T, stdin []byte, path string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), stdout.String(), stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// verifyCluster runs `verify --kubeconfig ... -o json` and decodes the report
// (nil when the command printed none).
func verifyCluster(t *testing.T, config, kubeconfig string, extra ...string) (int, *verify.Report, string) {
	t.Helper()
	args := append([]string{"verify", "--config", config, "--kubeconfig", kubeconfig, "-o", "json"}, extra...)
	code, stdout, stderr := runBinary(t, nil, args...)
	if stdout == "" {
		return code, nil, stderr
	}
	var r verify.Report
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("verify printed no JSON report (exit %d): %v\n%s\nstderr: %s", code, err, stdout, stderr)
	}
	return code, &r, stderr
}

// findingKeys lists the findings as "check namespace/pod" or "check node".
func findingKeys(r *verify.Report) []string {
	var keys []string
	for _, f := range r.Findings {
		if f.Pod != "" {
			keys = append(keys, f.Check+" "+f.Namespace+"/"+f.Pod)
		} else {
			keys = append(keys, f.Check+" "+f.Node)
		}
	}
	slices.Sort(keys)
	return keys
}

// serviceAccountKubeconfig returns a kubeconfig holding a token of the
// ServiceAccount, from the TokenRequest API (what a Pod's projected token is).
func serviceAccountKubeconfig(t *testing.T, c *testcluster.Cluster, namespace, name string) string {
	t.Helper()
	tr, err := c.Client.CoreV1().ServiceAccounts(namespace).CreateToken(context.Background(), name,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", namespace, name, err)
	}
	return c.KubeconfigForToken(t, namespace+"-"+name, tr.Status.Token)
}

func ptr[T any](v T) *T { return &v }

// renderItems runs the function on resources with config and returns the
// output items as YAML; it fails the test when the function fails.
func renderItems(t *testing.T, config, resources string) []byte {
	t.Helper()
	code, out, items := renderResourceList(t, config, resources)
	if code != 0 {
		t.Fatalf("the function failed (exit %d):\n%s", code, out)
	}
	return items
}

// renderResourceList wraps config and resources in a ResourceList, runs the
// function and returns its exit code, its whole output and its items.
func renderResourceList(t *testing.T, config, resources string) (int, string, []byte) {
	t.Helper()
	cfg, err := fn.ParseKubeObject([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	objs, err := fn.ParseKubeObjects([]byte(resources))
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{FunctionConfig: cfg, Items: objs}
	in, err := rl.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runBinary(t, in)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := fn.ParseResourceList([]byte(stdout))
	if err != nil {
		t.Fatalf("the function printed no ResourceList: %v\n%s", err, stdout)
	}
	var items []string
	for _, o := range out.Items {
		items = append(items, o.String())
	}
	return code, stdout, []byte(strings.Join(items, "---\n"))
}

// podsBound waits until every pod matching selector in namespace is bound
// (want of them), and returns them.
func podsBound(t *testing.T, c *testcluster.Cluster, namespace, selector string, want int) []corev1.Pod {
	t.Helper()
	var pods []corev1.Pod
	testcluster.WaitFor(t, 2*time.Minute, "pods "+selector+" in "+namespace+" bound", func(ctx context.Context) (bool, error) {
		l, err := c.Client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		pods = l.Items
		return len(pods) == want && allBound(pods), nil
	})
	return pods
}

// allBound reports whether the scheduler has bound every pod.
func allBound(pods []corev1.Pod) bool {
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			return false
		}
	}
	return true
}

// isolationConfig is the examples' pool as a config file for verify.
var isolationConfig = filepath.Join(verifyJob, "isolation.yaml")

// TestVerifyClusterRBAC applies the RBAC of examples/verify-job unchanged and
// runs verify with its ServiceAccount's token: the documented permissions
// are enough. A ServiceAccount without them, a wrong token and an
// unreachable server are bad input: exit 2, a message on stderr, nothing on
// stdout.
func TestVerifyClusterRBAC(t *testing.T) {
	c := testcluster.Start(t)
	c.CreateNode(t, testcluster.Node{Name: "pool-1", Labels: poolLabels, Taints: []corev1.Taint{poolTaint}})
	c.CreateNode(t, testcluster.Node{Name: "shared-1"})
	for _, f := range []string{"namespace.yaml", "rbac.yaml"} {
		c.Apply(t, []byte(readFile(t, filepath.Join(verifyJob, f))))
	}
	// The Job must be valid for the API server too; a dry run, so that its
	// pod does not join the pods verify counts below.
	jobs, err := testcluster.Decode([]byte(readFile(t, filepath.Join(verifyJob, "job.yaml"))))
	if err != nil || len(jobs) != 1 {
		t.Fatalf("job.yaml: %d objects, %v", len(jobs), err)
	}
	if err := c.ApplyObject(context.Background(), jobs[0], true); err != nil {
		t.Fatalf("the API server rejects examples/verify-job/job.yaml: %v", err)
	}
	c.Apply(t, []byte(`
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: default}
spec:
  containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`))
	podsBound(t, c, "default", "", 1)

	// The authorizer sees the new binding through its informer, a moment
	// after the apply returns.
	for _, resource := range []string{"pods", "nodes"} {
		testcluster.WaitFor(t, time.Minute, "the binding to allow listing "+resource, func(ctx context.Context) (bool, error) {
			sar, err := c.Client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User:               "system:serviceaccount:isolate-workloads:isolate-workloads-verify",
				ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: resource},
			}}, metav1.CreateOptions{})
			return err == nil && sar.Status.Allowed, err
		})
	}
	allowed := serviceAccountKubeconfig(t, c, "isolate-workloads", "isolate-workloads-verify")
	code, report, stderr := verifyCluster(t, isolationConfig, allowed)
	if code != 0 || report == nil || report.Summary.Pods != 1 || report.Summary.DedicatedNodes != 1 {
		t.Fatalf("verify with the example's RBAC: exit %d, report %+v, stderr %s", code, report, stderr)
	}

	c.Apply(t, []byte(`apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody, namespace: isolate-workloads}
`))
	forbidden := serviceAccountKubeconfig(t, c, "isolate-workloads", "nobody")
	badToken := c.KubeconfigForToken(t, "bad-token", "not-a-token")
	unreachable := filepath.Join(t.TempDir(), "unreachable.kubeconfig")
	data := strings.ReplaceAll(readFile(t, c.Kubeconfig), c.Server(), "https://127.0.0.1:1")
	if err := os.WriteFile(unreachable, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, kubeconfig string
		extra            []string
		want             string
	}{
		{"forbidden", forbidden, nil, "forbids listing pods"},
		{"bad-token", badToken, nil, "rejected the credentials"},
		{"unreachable", unreachable, nil, "cannot reach the API server at https://127.0.0.1:1"},
		{"unknown-context", c.Kubeconfig, []string{"--context", "nope"}, "nope"},
		{"missing-kubeconfig", filepath.Join(t.TempDir(), "none"), nil, "--kubeconfig"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, report, stderr := verifyCluster(t, isolationConfig, tc.kubeconfig, tc.extra...)
			if code != 2 || report != nil || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, report %v, stderr %q; want exit 2, no report, stderr naming %q", code, report, stderr, tc.want)
			}
		})
	}
}
