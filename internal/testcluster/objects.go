package testcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// FieldManager owns the fields the harness applies.
const FieldManager = "testcluster"

// Node describes a node to create. There is no kubelet behind it: the
// harness writes the status a kubelet would (Ready, capacity).
type Node struct {
	Name   string
	Labels map[string]string
	Taints []corev1.Taint
	// CPU, Memory and Pods are the capacity, also allocatable; empty means
	// 4 CPUs, 16Gi and 110 pods.
	CPU, Memory, Pods string
}

// CreateNode creates a Ready node.
func (c *Cluster) CreateNode(t testing.TB, n Node) *corev1.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Labels: map[string]string{corev1.LabelHostname: n.Name, corev1.LabelOSStable: "linux"}},
		Spec:       corev1.NodeSpec{Taints: n.Taints},
	}
	for k, v := range n.Labels {
		node.Labels[k] = v
	}
	created, err := c.Client.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating node %s: %v", n.Name, err)
	}
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(orDefault(n.CPU, "4")),
		corev1.ResourceMemory: resource.MustParse(orDefault(n.Memory, "16Gi")),
		corev1.ResourcePods:   resource.MustParse(orDefault(n.Pods, "110")),
	}
	now := metav1.Now()
	status := corev1.NodeStatus{
		Capacity:    capacity,
		Allocatable: capacity,
		Phase:       corev1.NodeRunning,
		Conditions: []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady",
			Message: "testcluster node without a kubelet", LastHeartbeatTime: now, LastTransitionTime: now,
		}},
		Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: n.Name}},
		NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OperatingSystem: "linux", Architecture: "amd64"},
	}
	// A patch of the status subresource, not an update: controllers write
	// to a new node at once, and an update would race them.
	patch, err := json.Marshal(map[string]any{"status": status})
	if err != nil {
		t.Fatal(err)
	}
	updated, err := c.Client.CoreV1().Nodes().Patch(ctx, created.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	if err != nil {
		t.Fatalf("marking node %s Ready: %v", n.Name, err)
	}
	return updated
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// CreateNamespace creates a namespace and waits for its default
// ServiceAccount, without which no pod can be created in it.
func (c *Cluster) CreateNamespace(t testing.TB, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating namespace %s: %v", name, err)
	}
	WaitFor(t, time.Minute, "the default ServiceAccount of namespace "+name, func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	})
}

// Apply server-side applies every object of a YAML or JSON stream, failing
// the test on the first error.
func (c *Cluster) Apply(t testing.TB, yaml []byte) []*unstructured.Unstructured {
	t.Helper()
	objs, err := Decode(yaml)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if err := c.ApplyObject(context.Background(), o, false); err != nil {
			t.Fatal(err)
		}
	}
	return objs
}

// Decode splits a YAML or JSON stream into objects. Objects marked
// config.kubernetes.io/local-config: "true" (a Kptfile, a function's
// config) are left out, as `kpt live apply` leaves them out.
func Decode(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			return objs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding object %d: %w", len(objs)+1, err)
		}
		if len(m) == 0 {
			continue
		}
		o := &unstructured.Unstructured{Object: m}
		if o.GetAnnotations()["config.kubernetes.io/local-config"] == "true" {
			continue
		}
		objs = append(objs, o)
	}
}

// ApplyObject server-side applies one object (a dry run when dryRun is
// set). Namespaced objects without a namespace go to "default". The error
// names the object.
func (c *Cluster) ApplyObject(ctx context.Context, o *unstructured.Unstructured, dryRun bool) error {
	dyn, mapper, err := c.dynamicClient()
	if err != nil {
		return err
	}
	gvk := o.GroupVersionKind()
	id := fmt.Sprintf("%s %s", gvk.Kind, o.GetName())
	mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		// A CRD installed since the mapper last read discovery.
		mapper.Reset()
		mapping, err = mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	data, err := runtime.Encode(unstructured.UnstructuredJSONScheme, o)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	opts := metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTo(true), FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	res := dyn.Resource(mapping.Resource)
	if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := o.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		_, err = res.Namespace(ns).Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	} else {
		_, err = res.Patch(ctx, o.GetName(), types.ApplyPatchType, data, opts)
	}
	if err != nil {
		return fmt.Errorf("applying %s: %w", id, err)
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }

// crds is the resource of CustomResourceDefinitions, read as unstructured
// objects so that the harness does not link the apiextensions types.
var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// InstallCRDs applies CustomResourceDefinitions and waits until the API
// server serves them.
func (c *Cluster) InstallCRDs(t testing.TB, yaml []byte) {
	t.Helper()
	objs := c.Apply(t, yaml)
	dyn, mapper, err := c.dynamicClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		name := o.GetName()
		WaitFor(t, time.Minute, "CRD "+name+" established", func(ctx context.Context) (bool, error) {
			crd, err := dyn.Resource(crds).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return hasCondition(crd, "Established", "True")
		})
	}
	mapper.Reset()
}

// hasCondition reports whether an object's status.conditions holds one of
// type condType with status status.
func hasCondition(o *unstructured.Unstructured, condType, status string) (bool, error) {
	conditions, _, err := unstructured.NestedSlice(o.Object, "status", "conditions")
	if err != nil {
		return false, err
	}
	for _, c := range conditions {
		if m, ok := c.(map[string]any); ok && m["type"] == condType && m["status"] == status {
			return true, nil
		}
	}
	return false, nil
}

// WaitFor polls cond every 200 ms until it returns true, and fails the test
// after timeout, naming what it waited for and the last error.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func(context.Context) (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		ok, err := cond(ctx)
		cancel()
		if ok {
			return
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s (last error: %v)", timeout, what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
