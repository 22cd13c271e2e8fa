package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/isolate-workloads/isolate-workloads/internal/nodeoracle"
)

func noEnv(string) string { return "" }

// process runs the binary's entry point on input.
func process(t *testing.T, input []byte) (int, []byte) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(nil, noEnv, bytes.NewReader(input), &stdout, &stderr)
	return code, stdout.Bytes()
}

// checkRun asserts the properties every input must have: no panic, exit 0
// or 1 with a ResourceList on stdout, an error result when it fails, and on
// success a second run that changes no item.
func checkRun(t *testing.T, input []byte) *fn.ResourceList {
	t.Helper()
	code, out := process(t, input)
	if code != 0 && code != 1 {
		t.Fatalf("exit %d", code)
	}
	rl, err := fn.ParseResourceList(out)
	if err != nil {
		t.Fatalf("stdout is not a ResourceList (exit %d): %v\n%.1000s", code, err, out)
	}
	if code == 1 {
		for _, r := range rl.Results {
			if r.Severity == fn.Error || r.Severity == "" {
				return nil
			}
		}
		t.Fatalf("exit 1 without an error result:\n%.2000s", out)
	}
	code2, out2 := process(t, out)
	if code2 != 0 {
		t.Fatalf("the output of a successful run fails the second time (exit %d):\n%.2000s", code2, out2)
	}
	again, err := fn.ParseResourceList(out2)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Items) != len(rl.Items) {
		t.Fatalf("second run: %d items, first %d", len(again.Items), len(rl.Items))
	}
	for i := range rl.Items {
		if rl.Items[i].String() != again.Items[i].String() {
			t.Fatalf("second run changed item %d:\n%s\n---\n%s", i, rl.Items[i].String(), again.Items[i].String())
		}
	}
	return rl
}

// goldenInputs turns the golden cases into ResourceLists.
func goldenInputs(f *testing.F) {
	dirs, _ := filepath.Glob("../testdata/golden/*")
	for _, d := range dirs {
		cfg, err := os.ReadFile(filepath.Join(d, "_fnconfig.yaml"))
		if err != nil {
			continue
		}
		res, _ := os.ReadFile(filepath.Join(d, "resources.yaml"))
		objs, err := fn.ParseKubeObjects(res)
		if err != nil {
			continue
		}
		cfgObj, err := fn.ParseKubeObject(cfg)
		if err != nil {
			continue
		}
		rl := &fn.ResourceList{Items: objs, FunctionConfig: cfgObj}
		data, err := rl.ToYAML()
		if err == nil {
			f.Add(data)
		}
	}
}

// FuzzProcess feeds arbitrary bytes, seeded with the golden cases, through
// the whole function.
func FuzzProcess(f *testing.F) {
	goldenInputs(f)
	for _, c := range badCases() {
		if len(c.input) < 64<<10 && c.env == nil {
			f.Add([]byte(c.input))
		}
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		checkRun(t, input)
	})
}

// FuzzPlacement mutates a valid input where it matters: the existing
// tolerations, affinity and nodeSelector of a selected workload, and the
// pool's taint and placement mode. When the function succeeds, the
// scheduler's own predicates must agree that the pod fits some node of the
// pool, and (in Required mode) no shared node.
func FuzzPlacement(f *testing.F) {
	f.Add("[{key: a, operator: Exists}]", "{}", "{}", "untrusted", uint8(0), uint8(0))
	f.Add("[]", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}]}, {matchExpressions: [{key: arch, operator: NotIn, values: [arm]}]}]}}}", "{os: linux}", "v", uint8(2), uint8(0))
	f.Add("[{operator: Exists}]", "{nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 5, preference: {matchExpressions: [{key: pool, operator: In, values: [x]}]}}]}}", "{}", "", uint8(1), uint8(1))
	f.Add("[{key: pool, operator: Equal, value: v, effect: NoSchedule}]", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: pool, operator: NotIn, values: [v]}]}]}}}", "{pool: w}", "v", uint8(0), uint8(3))
	f.Add("[{key: pool, operator: Exists}]", "{nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a]}, {key: zone, operator: In, values: [b]}]}, {matchExpressions: [{key: n, operator: Gt, values: ['4']}, {key: n, operator: Lt, values: ['6']}, {key: n, operator: NotIn, values: ['5']}]}]}}}", "{}", "v", uint8(2), uint8(0))
	f.Fuzz(func(t *testing.T, tolerations, affinity, nodeSelector, taintValue string, effect, mode uint8) {
		effects := []string{"NoSchedule", "PreferNoSchedule", "NoExecute"}
		modes := []string{"Required", "Preferred", "None", "Required"}
		nodeSelectorMode := mode%4 == 3
		cfg := fmt.Sprintf("functionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: WorkloadIsolation\n  metadata: {name: f}\n  spec:\n    nodePool:\n      name: p\n      taints: [{key: pool, value: %q, effect: %s}]\n      labels: {pool: v}\n    placement: {nodeAffinity: %s, nodeSelector: %t}\n    selectors: [{kind: Deployment}]\n    audit: {privilegedTolerating: info, wildcardTolerations: info}\n",
			taintValue, effects[int(effect)%3], modes[int(mode)%4], nodeSelectorMode)
		flow := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "\n", " "), "\r", " ") }
		input := header + cfg + "items:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n  spec:\n    template:\n      spec:\n" +
			"        tolerations: " + flow(tolerations) + "\n        affinity: " + flow(affinity) + "\n        nodeSelector: " + flow(nodeSelector) + "\n        containers: [{name: c, image: i}]\n"
		rl := checkRun(t, []byte(input))
		if rl == nil {
			return
		}
		var spec corev1.PodSpec
		for _, obj := range rl.Items {
			if obj.GetKind() == "Deployment" {
				sub, _, err := obj.NestedSubObject("spec", "template", "spec")
				if err != nil {
					t.Fatal(err)
				}
				if err := sub.As(&spec); err != nil {
					t.Fatalf("the function wrote a pod spec that does not decode: %v", err)
				}
			}
		}
		taints := []corev1.Taint{{Key: "pool", Value: taintValue, Effect: corev1.TaintEffect(effects[int(effect)%3])}}
		dedicated := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "d", Labels: map[string]string{"pool": "v"}}, Spec: corev1.NodeSpec{Taints: taints}}
		shared := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "s"}}
		if taint, bad := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, spec.Tolerations, nil, false); bad {
			t.Fatalf("the isolated pod does not tolerate %v: %+v", taint, spec.Tolerations)
		}
		pod := &corev1.Pod{Spec: spec}
		required := nodeaffinity.GetRequiredNodeAffinity(pod)
		// Some node of the pool, with whatever other labels and name, must
		// fit: brute force over candidate nodes (nodeoracle), matched by the
		// scheduler's code. Huge fuzzed inputs are left to the other checks.
		if nodes, ok := nodeoracle.Candidates(spec.NodeSelector, spec.Affinity, dedicated.Labels, 20000); ok {
			fits := false
			for _, n := range nodes {
				if ok, _ := required.Match(n); ok && nodeoracle.HasLabels(n, dedicated.Labels) {
					fits = true
					break
				}
			}
			if !fits {
				t.Fatalf("the isolated pod fits no node of the pool: %+v %+v", spec.Affinity, spec.NodeSelector)
			}
		}
		if modes[int(mode)%4] == "Required" || nodeSelectorMode {
			if ok, _ := required.Match(shared); ok {
				t.Fatalf("the isolated pod fits a shared node: %+v %+v", spec.Affinity, spec.NodeSelector)
			}
		}
	})
}
