package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// logAgent is a DaemonSet that tolerates every taint and is not selected:
// its pods go to every node, the pool's included, and the function's audit
// must report it.
const logAgent = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: log-agent, namespace: logging}
spec:
  selector: {matchLabels: {app: log-agent}}
  template:
    metadata: {labels: {app: log-agent}}
    spec:
      tolerations: [{operator: Exists}]
      containers: [{name: agent, image: registry.k8s.io/pause:3.10}]
`

// TestExamplesOnRealScheduler renders the repository's examples with real kpt
// and real kustomize, applies the output to a cluster with pool nodes,
// shared nodes and a system-pool node, and lets the controllers create the
// pods and the scheduler bind them. Then, from the API: every isolated pod
// is on a pool node, no other pod is on one unless it belongs to a
// DaemonSet the audit reported, nothing isolated is Pending, and verify
// --kubeconfig agrees.
func TestExamplesOnRealScheduler(t *testing.T) {
	t.Run("kpt", func(t *testing.T) {
		kpt := tool(t, "kpt")
		tool(t, "git")
		dir := execPackage(t)
		if err := os.WriteFile(filepath.Join(dir, "log-agent.yaml"), []byte(logAgent), 0o644); err != nil {
			t.Fatal(err)
		}
		results := t.TempDir()
		run(t, dir, kpt, "fn", "render", dir, "--allow-exec", "--results-dir", results)
		var rendered []string
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			rendered = append(rendered, readFile(t, f))
		}
		audited := auditedDaemonSets(t, filepath.Join(results, "results.yaml"))
		if !audited["logging/log-agent"] {
			t.Fatalf("the audit did not report the log-agent DaemonSet and its wildcard toleration: %v", audited)
		}
		checkExampleOnCluster(t, []byte(strings.Join(rendered, "\n---\n")), audited, map[string]int{"logging/app=log-agent": 5})
	})
	t.Run("kustomize", func(t *testing.T) {
		kustomize := tool(t, "kustomize")
		out := run(t, repoRoot, kustomize, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join("examples", "kustomization", "exec"))
		checkExampleOnCluster(t, []byte(out), nil, nil)
	})
}

// auditedDaemonSets reads kpt's results file and returns the DaemonSets
// ("namespace/name") the function reported.
func auditedDaemonSets(t *testing.T, path string) map[string]bool {
	t.Helper()
	var list struct {
		Items []struct {
			Results []struct {
				Message     string `json:"message"`
				ResourceRef struct {
					Kind, Name, Namespace string
				} `json:"resourceRef"`
			} `json:"results"`
		} `json:"items"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, path)), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, item := range list.Items {
		for _, r := range item.Results {
			if ref := r.ResourceRef; ref.Kind == "DaemonSet" {
				out[ref.Namespace+"/"+ref.Name] = true
			}
		}
	}
	return out
}

// checkExampleOnCluster applies the rendered example (plus a manual run of
// the CronJob) and checks where the scheduler put every pod. extraPods
// counts pods of additions to the example, by "namespace/selector".
func checkExampleOnCluster(t *testing.T, rendered []byte, audited map[string]bool, extraPods map[string]int) {
	c := testcluster.Start(t)
	c.InstallCRDs(t, []byte(readFile(t, filepath.Join(repoRoot, "testdata", "schemas", "karpenter.sh_nodepools.yaml"))))
	pool := func(name string, l map[string]string) {
		for k, v := range poolLabels {
			l[k] = v
		}
		c.CreateNode(t, testcluster.Node{Name: name, Labels: l, Taints: []corev1.Taint{poolTaint}})
	}
	// plugin-runner keeps its own terms (zone us-west1-a, or arm64): each
	// pool node satisfies one of them.
	pool("pool-zone-a", map[string]string{corev1.LabelTopologyZone: "us-west1-a"})
	pool("pool-arm", map[string]string{corev1.LabelTopologyZone: "us-west1-b", corev1.LabelArchStable: "arm64"})
	c.CreateNode(t, testcluster.Node{Name: "shared-a", Labels: map[string]string{corev1.LabelTopologyZone: "us-west1-a"}})
	c.CreateNode(t, testcluster.Node{Name: "shared-b", Labels: map[string]string{corev1.LabelTopologyZone: "us-west1-b"}})
	c.CreateNode(t, testcluster.Node{Name: "system-1", Taints: []corev1.Taint{{Key: "components.gke.io/gke-managed-components", Value: "true", Effect: corev1.TaintEffectNoSchedule}}})
	c.CreateNamespace(t, "team-a")
	c.CreateNamespace(t, "logging")

	objs := c.Apply(t, rendered)
	// The CronJob runs at 2 a.m.; start its job now, as
	// `kubectl create job --from=cronjob/customer-reports` does.
	for _, o := range objs {
		if o.GetKind() != "CronJob" {
			continue
		}
		jobSpec, found, err := unstructured.NestedMap(o.Object, "spec", "jobTemplate", "spec")
		if err != nil || !found {
			t.Fatalf("CronJob %s has no jobTemplate: %v", o.GetName(), err)
		}
		job := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "batch/v1", "kind": "Job",
			"metadata": map[string]any{"name": o.GetName() + "-manual", "namespace": o.GetNamespace()},
			"spec":     jobSpec,
		}}
		if err := c.ApplyObject(context.Background(), job, false); err != nil {
			t.Fatal(err)
		}
	}

	isolated := map[string]int{"team-a/app=plugin-runner": 2, "team-a/job-name=customer-reports-manual": 1}
	others := map[string]int{"team-a/app=api": 3, "kube-system/app=node-agent": 2}
	for k, v := range extraPods {
		others[k] = v
	}
	poolNodes := map[string]bool{"pool-zone-a": true, "pool-arm": true}
	for key, n := range isolated {
		ns, selector, _ := strings.Cut(key, "/")
		for _, p := range podsBound(t, c, ns, selector, n) {
			if !poolNodes[p.Spec.NodeName] {
				t.Errorf("isolated pod %s/%s is on %s, not a pool node", ns, p.Name, p.Spec.NodeName)
			}
		}
	}
	for key, n := range others {
		ns, selector, _ := strings.Cut(key, "/")
		podsBound(t, c, ns, selector, n)
	}

	// Every pod of the cluster: nothing Pending, and on a pool node only
	// the isolated ones and the audited DaemonSets.
	pods, err := c.Client.CoreV1().Pods("").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	isolatedPod := func(p corev1.Pod) bool {
		return p.Labels["app"] == "plugin-runner" || p.Labels["job-name"] == "customer-reports-manual"
	}
	for _, p := range pods.Items {
		switch {
		case p.Spec.NodeName == "":
			t.Errorf("pod %s/%s is Pending", p.Namespace, p.Name)
		case !poolNodes[p.Spec.NodeName] || isolatedPod(p):
		case daemonSetOf(p) != "" && audited[p.Namespace+"/"+daemonSetOf(p)]:
		default:
			t.Errorf("pod %s/%s is not isolated but runs on pool node %s", p.Namespace, p.Name, p.Spec.NodeName)
		}
	}

	code, report, stderr := verifyCluster(t, filepath.Join(repoRoot, "examples", "kpt", "isolation.yaml"), c.Kubeconfig)
	if code != 0 || report == nil || report.Summary.IsolatedPods != 3 {
		t.Fatalf("verify --kubeconfig on the example: exit %d, findings %v, stderr %s", code, findingKeys(report), stderr)
	}
}

func daemonSetOf(p corev1.Pod) string {
	for _, o := range p.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return o.Name
		}
	}
	return ""
}
