//go:build clusterbench

package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// The cluster of the measurement, and how often each side runs.
var (
	nodes = envInt("BENCH_NODES", 200)
	pods  = envInt("BENCH_PODS", 2000)
	reps  = envInt("BENCH_REPS", 5)
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// TestMeasure fills a cluster and runs both sides alternately, reps times
// each, printing the medians as a Markdown table.
func TestMeasure(t *testing.T) {
	bin, kubectl := os.Getenv("BENCH_BIN"), os.Getenv("BENCH_KUBECTL")
	if bin == "" || kubectl == "" {
		t.Fatal("set BENCH_BIN (isolate-workloads) and BENCH_KUBECTL; bench/cluster.sh does")
	}
	config, err := filepath.Abs("../../examples/verify-job/isolation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	c := testcluster.Start(t)
	start := time.Now()
	fill(t, c)
	t.Logf("created %d nodes and %d pods in %s", nodes, pods, time.Since(start).Round(time.Second))

	sides := []struct{ name, script string }{
		{"verify --kubeconfig", fmt.Sprintf("%s verify --config %s --kubeconfig %s -o json >/dev/null", bin, config, c.Kubeconfig)},
		{"kubectl get pods,nodes -A -o json | verify", fmt.Sprintf("%s --kubeconfig %s get pods,nodes -A -o json | %s verify --config %s -o json >/dev/null", kubectl, c.Kubeconfig, bin, config)},
		{"kubectl get pods,nodes -A -o json (alone)", fmt.Sprintf("%s --kubeconfig %s get pods,nodes -A -o json >/dev/null", kubectl, c.Kubeconfig)},
	}
	wall := make([][]float64, len(sides))
	rss := make([][]float64, len(sides))
	for range reps {
		for i, s := range sides {
			w, r := timed(t, s.script)
			wall[i], rss[i] = append(wall[i], w), append(rss[i], r)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d pods on %d nodes, median of %d runs, run alternately:\n\n", pods, nodes, reps)
	fmt.Fprintf(&b, "| command | wall time | peak RSS | time vs verify --kubeconfig | RSS vs verify --kubeconfig |\n|---|---|---|---|---|\n")
	for i, s := range sides {
		fmt.Fprintf(&b, "| `%s` | %.0f ms | %.0f MB | %.2fx | %.2fx |\n", strings.ReplaceAll(s.name, "|", `\|`), median(wall[i]), median(rss[i]), median(wall[i])/median(wall[0]), median(rss[i])/median(rss[0]))
	}
	fmt.Println(b.String())
}

// timed runs a shell script under GNU time and returns its wall time in ms
// and the peak RSS in MB of its largest process (for a pipeline, the
// largest of its commands: a child's maxrss is the largest of the
// processes it waited for).
func timed(t *testing.T, script string) (float64, float64) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "time")
	cmd := exec.Command("/usr/bin/time", "-f", "%e %M", "-o", f, "bash", "-c", "set -o pipefail; "+script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var secs, kb float64
	if _, err := fmt.Sscan(string(data), &secs, &kb); err != nil {
		t.Fatalf("GNU time wrote %q: %v", data, err)
	}
	return secs * 1000, kb / 1024
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

// fill creates the nodes (a tenth of them the pool's) and the pods, bound
// with nodeName: the scheduler is not what is measured. Pods carry what
// real ones do (labels, owner, resources, environment, a volume), and the
// pool's pods the function's tolerations and affinity.
func fill(t *testing.T, c *testcluster.Cluster) {
	taint := corev1.Taint{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}
	poolNodes := nodes / 10
	for i := range nodes {
		n := testcluster.Node{Name: fmt.Sprintf("node-%03d", i), Labels: map[string]string{"topology.kubernetes.io/zone": fmt.Sprintf("zone-%d", i%3)}}
		if i < poolNodes {
			n.Labels["workloadType"] = "untrusted"
			n.Taints = []corev1.Taint{taint}
		}
		c.CreateNode(t, n)
	}
	for _, ns := range []string{"team-a", "team-b", "team-c", "team-d"} {
		c.CreateNamespace(t, ns)
	}
	var wg sync.WaitGroup
	errs := make(chan error, pods)
	work := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := pod(i, poolNodes, taint)
				if _, err := c.Client.CoreV1().Pods(p.Namespace).Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range pods {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func pod(i, poolNodes int, taint corev1.Taint) *corev1.Pod {
	isolated := i%10 == 0
	node := poolNodes + i%(nodes-poolNodes)
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("app-%04d", i), Namespace: fmt.Sprintf("team-%c", 'a'+i%4),
			Labels:          map[string]string{"app": fmt.Sprintf("app-%d", i%50), "pod-template-hash": "5d8f7c9b4"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: fmt.Sprintf("app-%d-5d8f7c9b4", i%50), UID: "00000000-0000-0000-0000-000000000001"}},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "app", Image: "registry.example.com/app:1.0.0",
				Env:       []corev1.EnvVar{{Name: "LOG_LEVEL", Value: "info"}, {Name: "PORT", Value: "8080"}},
				Ports:     []corev1.ContainerPort{{ContainerPort: 8080}},
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")}},
			}},
		},
	}
	if isolated {
		node = i % poolNodes
		p.Labels["isolation"] = "untrusted"
		p.Spec.Tolerations = []corev1.Toleration{{Key: taint.Key, Operator: corev1.TolerationOpEqual, Value: taint.Value, Effect: taint.Effect}}
		p.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "workloadType", Operator: corev1.NodeSelectorOpIn, Values: []string{"untrusted"}}}}},
		}}}
	}
	p.Spec.NodeName = fmt.Sprintf("node-%03d", node)
	return p
}
