package transformer

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

const corpusDir = "../testdata/corpus/manifests"

// corpusConfig isolates one chosen workload: the descheduler CronJob.
const corpusConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: untrusted
spec:
  nodePool:
    name: untrusted-pool
    taints:
    - key: workloadType
      value: untrusted
      effect: NoSchedule
    labels:
      workloadType: untrusted
  selectors:
  - kind: CronJob
    name: descheduler-cronjob
  systemNodePool:
    name: system-pool
`

// readAsKpt reads manifests the way kpt and kustomize do before they call a
// function: with kyaml's reader, which expands YAML aliases and skips
// documents that hold only comments.
func readAsKpt(t *testing.T, data []byte) fn.KubeObjects {
	t.Helper()
	nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, AnchorsAweigh: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	return fn.MoveToKubeObjects(nodes)
}

func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.yaml"))
	if err != nil || len(files) != 12 {
		t.Fatalf("want the 12 corpus files, got %d (%v)", len(files), err)
	}
	return files
}

func runOnFile(t *testing.T, path, config string) *fn.ResourceList {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	items := readAsKpt(t, data)
	cfg, err := fn.ParseKubeObject([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	rl := &fn.ResourceList{Items: items, FunctionConfig: cfg}
	if _, err := Run(rl); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rl
}

// findingsOf lists the audit findings as "check kind/name field: reasons".
func findingsOf(rl *fn.ResourceList) []string {
	var out []string
	for _, r := range rl.Results {
		check := r.Tags["check"]
		if check == "" || r.ResourceRef == nil || r.ResourceRef.Kind == "WorkloadIsolation" {
			continue
		}
		out = append(out, check+" "+r.ResourceRef.Kind+"/"+r.ResourceRef.Name+" "+r.Field.Path)
	}
	sort.Strings(out)
	return out
}

// corpusFindings is what reading the upstream files says the audit must
// report with a NoSchedule pool, and nothing else:
//   - every flannel DaemonSet tolerates all NoSchedule taints (operator
//     Exists, no key) and runs with hostNetwork and hostPath volumes: it can
//     land on the pool with its privileges (error), and runs on shared nodes;
//   - longhorn's node agents are privileged, hostPID/hostNetwork or mount
//     host paths, but tolerate no taint: shared nodes only;
//   - longhorn-driver-deployer sets runAsUser: 0 without a read-only root;
//   - ingress-nginx tolerates only the master/control-plane taints by key, and
//     the descheduler CronJob is the isolated workload: no findings.
var corpusFindings = map[string][]string{
	"flannel-kube-flannel.yaml": {
		"privilegedOnSharedNodes DaemonSet/kube-flannel-ds spec.template.spec.hostNetwork",
		"privilegedTolerating DaemonSet/kube-flannel-ds spec.template.spec.hostNetwork",
	},
	"flannel-kube-flannel-v0.11-legacy.yaml": flannelLegacyFindings(),
	"longhorn-cifs-installation.yaml": {
		"privilegedOnSharedNodes DaemonSet/longhorn-cifs-installation spec.template.spec.hostPID",
	},
	"longhorn-gke-cos-node-agent.yaml": {
		"privilegedOnSharedNodes DaemonSet/longhorn-gke-cos-node-agent spec.template.spec.hostNetwork",
	},
	"longhorn-longhorn.yaml": {
		"privilegedOnSharedNodes DaemonSet/longhorn-manager spec.template.spec.volumes[0].hostPath",
		"privilegedOnSharedNodes Deployment/longhorn-driver-deployer spec.template.spec.initContainers[0].securityContext.runAsUser",
	},
}

func flannelLegacyFindings() []string {
	var out []string
	for _, check := range []string{"privilegedOnSharedNodes", "privilegedTolerating"} {
		for _, arch := range []string{"amd64", "arm", "arm64", "ppc64le", "s390x"} {
			out = append(out, check+" DaemonSet/kube-flannel-ds-"+arch+" spec.template.spec.hostNetwork")
		}
	}
	return out
}

// corpusReasons are the privileges each privilegedTolerating finding must name.
var corpusReasons = map[string][]string{
	"kube-flannel-ds":       {"hostNetwork", `hostPath volume "cni"`, "adds capabilities NET_ADMIN"},
	"kube-flannel-ds-amd64": {"hostNetwork", `hostPath volume "run"`, "adds capabilities NET_ADMIN"},
}

// TestCorpusAudit runs the audit over every unmodified upstream file with a
// config that isolates the descheduler CronJob, and asserts exactly the
// findings above: each known risky workload, with the right reasons, and no
// other finding.
func TestCorpusAudit(t *testing.T) {
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			rl := runOnFile(t, f, corpusConfig)
			got := findingsOf(rl)
			want := append([]string(nil), corpusFindings[name]...)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			for _, r := range rl.Results {
				if r.Tags["check"] != "privilegedTolerating" {
					continue
				}
				if r.Severity != fn.Error {
					t.Errorf("%s: privilegedTolerating must be an error by default", r.ResourceRef.Name)
				}
				for _, reason := range corpusReasons[r.ResourceRef.Name] {
					if !strings.Contains(r.Message, reason) {
						t.Errorf("%s: the message does not name %q: %s", r.ResourceRef.Name, reason, r.Message)
					}
				}
			}
		})
	}
}

// comments lists every comment in a YAML tree.
func comments(n *yaml.Node, out map[string]int) {
	for _, c := range []string{n.HeadComment, n.LineComment, n.FootComment} {
		for _, line := range strings.Split(c, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				out[line]++
			}
		}
	}
	for _, child := range n.Content {
		comments(child, out)
	}
}

// withoutPlacement is a resource as a map, with the three fields the
// function may change removed from its pod spec.
func withoutPlacement(t *testing.T, obj *fn.KubeObject) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(obj.String()), &m); err != nil {
		t.Fatal(err)
	}
	spec := m
	for _, f := range oraclePodSpecPaths[obj.GetKind()] {
		next, ok := spec[f].(map[string]any)
		if !ok {
			return m
		}
		spec = next
	}
	delete(spec, "tolerations")
	delete(spec, "affinity")
	delete(spec, "nodeSelector")
	return m
}

// TestNothingLostOnCorpus runs the function over each upstream file, and over
// all of them together, and checks that nothing but placement changes: every
// unselected resource is identical, comments included; every selected one
// differs only in tolerations, affinity and nodeSelector; the count is the
// same; a second run is byte-identical.
func TestNothingLostOnCorpus(t *testing.T) {
	files := corpusFiles(t)
	var all []byte
	inputs := map[string][]byte{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = data
		all = append(append(all, data...), []byte("\n---\n")...)
	}
	inputs["all files together"] = all
	shared, err := os.ReadFile("../testdata/corpus/isolation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Isolate longhorn's DaemonSets too, so more than one file has a selected workload.
	config := strings.Replace(string(shared), "  selectors:\n", "  selectors:\n  - kind: DaemonSet\n    namespace: longhorn-system\n", 1)
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			before := readAsKpt(t, data)
			after := readAsKpt(t, data)
			cfg, err := fn.ParseKubeObject([]byte(config))
			if err != nil {
				t.Fatal(err)
			}
			rl := &fn.ResourceList{Items: after, FunctionConfig: cfg}
			if ok, err := Run(rl); !ok || err != nil {
				t.Fatalf("run failed: %v %v", err, rl.Results)
			}
			if len(rl.Items) != len(before) {
				t.Fatalf("%d resources in, %d out", len(before), len(rl.Items))
			}
			changed := map[string]bool{}
			for _, r := range rl.Results {
				if r.ResourceRef != nil && strings.HasPrefix(r.Message, "isolated onto") {
					changed[r.ResourceRef.Kind+"/"+r.ResourceRef.Namespace+"/"+r.ResourceRef.Name] = true
				}
			}
			for i, b := range before {
				a := rl.Items[i]
				id := b.GetKind() + "/" + b.GetNamespace() + "/" + b.GetName()
				inComments, outComments := map[string]int{}, map[string]int{}
				comments(b.CopyToResourceNode().YNode(), inComments)
				comments(a.CopyToResourceNode().YNode(), outComments)
				for c, n := range inComments {
					if outComments[c] < n {
						t.Errorf("%s lost the comment %q", id, c)
					}
				}
				if !changed[id] {
					if a.String() != b.String() {
						t.Errorf("%s is not selected but changed:\n%s", id, a.String())
					}
					continue
				}
				if !reflect.DeepEqual(withoutPlacement(t, a), withoutPlacement(t, b)) {
					t.Errorf("%s changed beyond tolerations, affinity and nodeSelector", id)
				}
			}
			if len(changed) == 0 && name != "descheduler-rbac.yaml" && strings.Contains(string(data), "kind: CronJob") {
				t.Errorf("nothing was isolated in %s", name)
			}
			var first bytes.Buffer
			if err := krmio.Write(&first, rl); err != nil {
				t.Fatal(err)
			}
			out, err := krmio.Run(fn.ResourceListProcessorFunc(Run), first.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			again, err := krmio.Parse(out)
			if err != nil {
				t.Fatal(err)
			}
			firstRL, _ := krmio.Parse(first.Bytes())
			again.Results, firstRL.Results = nil, nil
			var a, b bytes.Buffer
			if err := krmio.Write(&a, firstRL); err != nil {
				t.Fatal(err)
			}
			if err := krmio.Write(&b, again); err != nil {
				t.Fatal(err)
			}
			if a.String() != b.String() {
				t.Errorf("the second run is not byte-identical")
			}
		})
	}
}
