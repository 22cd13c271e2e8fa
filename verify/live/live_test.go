package live

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// TestReadPages lists more pods and nodes than fit in one page, from a real
// API server, and must return each exactly once.
func TestReadPages(t *testing.T) {
	c := testcluster.Start(t)
	defer func(old int) { pageSize = old }(pageSize)
	pageSize = 4
	for i := range 6 {
		c.CreateNode(t, testcluster.Node{Name: fmt.Sprintf("node-%d", i)})
	}
	const pods = 23
	for i := range pods {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p-%02d", i), Namespace: "default"},
			Spec:       corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%6), Containers: []corev1.Container{{Name: "c", Image: "registry.k8s.io/pause:3.10"}}},
		}
		if _, err := c.Client.CoreV1().Pods("default").Create(context.Background(), p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	state, err := Read(context.Background(), Source{Kubeconfig: c.Kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range state.Pods {
		if seen[p.Name] {
			t.Errorf("pod %s listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Spec.NodeName == "" || len(p.Spec.Containers) != 1 {
			t.Errorf("pod %s decoded without its spec: %+v", p.Name, p.Spec)
		}
	}
	if len(seen) != pods || len(state.Nodes) != 6 {
		t.Errorf("read %d distinct pods and %d nodes, want %d and 6", len(seen), len(state.Nodes), pods)
	}
}
