package verify

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/placement"
)

const fixtures = "../testdata/verify"

// examplePool is the pool of the example config the fixtures were shaped for.
func examplePools(t *testing.T) []placement.Pool {
	t.Helper()
	data, err := os.ReadFile("../examples/kpt/isolation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := fn.ParseKubeObject(data)
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := config.Load(obj)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return placement.PoolsOf(cfg)
}

func load(t *testing.T, names ...string) *ClusterState {
	t.Helper()
	state := &ClusterState{}
	for _, name := range names {
		f, err := os.Open(filepath.Join(fixtures, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := Decode(f, name, state); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	if err := state.Check(); err != nil {
		t.Fatal(err)
	}
	return state
}

func findingKeys(r *Report) []string {
	var out []string
	for _, f := range r.Findings {
		subject := f.Node
		if f.Pod != "" {
			subject = f.Namespace + "/" + f.Pod
		}
		out = append(out, f.Severity+" "+f.Check+" "+subject)
	}
	sort.Strings(out)
	return out
}

func TestFixtures(t *testing.T) {
	pools := examplePools(t)
	cases := []struct {
		file     string
		want     []string
		isolated int
	}{
		{"clean.json", nil, 1},
		{"isolated-pod-on-shared-node.json", []string{"violation isolated-pod-on-shared-node team-a/plugin-runner-7d9f6c5b8-x2kqp"}, 1},
		{"foreign-pod-on-dedicated-node.json", []string{"violation foreign-pod-on-dedicated-node team-a/api-5c8d7f9b4-p4lvn"}, 1},
		{"dedicated-node-missing-taint.json", []string{"violation dedicated-node-missing-taint ip-10-0-2-21"}, 1},
		{"isolated-pod-pending.json", []string{"warning isolated-pod-pending team-a/plugin-runner-7d9f6c5b8-zz9rt"}, 2},
		{"daemonset-pod-on-dedicated-node.json", []string{"warning daemonset-pod-on-dedicated-node kube-flannel/kube-flannel-ds-7xk2p"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			r := Verify(pools, load(t, tc.file))
			if got := findingKeys(r); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if r.Summary.IsolatedPods != tc.isolated {
				t.Errorf("%d isolated pods, want %d", r.Summary.IsolatedPods, tc.isolated)
			}
			wantClean := true
			for _, w := range tc.want {
				wantClean = wantClean && !strings.HasPrefix(w, "violation")
			}
			if r.Clean() != wantClean {
				t.Errorf("Clean() = %v", r.Clean())
			}
			if len(r.Findings) > 0 && !strings.HasPrefix(r.Pods[0].Verdict, r.Findings[0].Severity) && r.Findings[0].Pod != "" {
				t.Errorf("the table must list findings first, got %+v", r.Pods[0])
			}
		})
	}
}

func TestReasons(t *testing.T) {
	pools := examplePools(t)
	pending := Verify(pools, load(t, "isolated-pod-pending.json"))
	if !strings.Contains(pending.Findings[0].Reason, "Unschedulable: 0/2 nodes are available") {
		t.Errorf("the pending finding must carry the scheduler's reason: %s", pending.Findings[0].Reason)
	}
	ds := Verify(pools, load(t, "daemonset-pod-on-dedicated-node.json"))
	for _, want := range []string{"hostNetwork", `hostPath volume "run"`, "NET_ADMIN"} {
		if !strings.Contains(ds.Findings[0].Reason, want) {
			t.Errorf("the DaemonSet finding must name %s: %s", want, ds.Findings[0].Reason)
		}
	}
}

// TestSeparateInputs reads pods and nodes from two kubectl outputs.
func TestSeparateInputs(t *testing.T) {
	pools := examplePools(t)
	r := Verify(pools, load(t, "clean-pods.json", "clean-nodes.json"))
	if r.Summary.Pods != 3 || r.Summary.DedicatedNodes != 1 || !r.Clean() {
		t.Errorf("summary %+v", r.Summary)
	}
	// Both documents in one stream, as `kubectl get pods -A -o json; kubectl get nodes -o json` prints them.
	pods, _ := os.ReadFile(filepath.Join(fixtures, "clean-pods.json"))
	nodes, _ := os.ReadFile(filepath.Join(fixtures, "clean-nodes.json"))
	state := &ClusterState{}
	if err := Decode(strings.NewReader(string(pods)+"\n"+string(nodes)), "stdin", state); err != nil {
		t.Fatal(err)
	}
	if len(state.Pods) != 3 || len(state.Nodes) != 2 {
		t.Errorf("decoded %d pods and %d nodes", len(state.Pods), len(state.Nodes))
	}
}

func TestBadInput(t *testing.T) {
	clean, _ := os.ReadFile(filepath.Join(fixtures, "clean.json"))
	cases := []struct{ name, input, want string }{
		{"not-json", "NAME READY STATUS\nweb 1/1 Running\n", "not valid JSON"},
		{"truncated", string(clean[:len(clean)/2]), "not valid JSON"},
		{"empty", "", "empty input"},
		{"empty-list", `{"apiVersion":"v1","kind":"List","items":[]}`, "no Nodes"},
		{"other-kinds", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Service","metadata":{"name":"x"}}]}`, "unexpected kind Service"},
		{"no-kind", `{"items":[]}`, "no kind"},
		{"pod-without-name", `{"kind":"List","items":[{"kind":"Pod","metadata":{}}]}`, "no metadata.name"},
		{"wrong-type", `{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"spec":{"tolerations":{"key":"a"}}}]}`, "Pod:"},
		{"pod-on-unknown-node", strings.Replace(string(clean), `"nodeName": "ip-10-0-1-10"`, `"nodeName": "ip-10-9-9-9"`, 1), "does not list"},
	}
	for _, tc := range cases {
		state := &ClusterState{}
		err := Decode(strings.NewReader(tc.input), "input", state)
		if err == nil {
			err = state.Check()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}

func fuzzPools() []placement.Pool {
	taints := []corev1.Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoExecute}}
	return []placement.Pool{{Name: "untrusted-pool", Taints: taints, Labels: map[string]string{"workloadType": "untrusted"}}}
}
