package transformer

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
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

// corpusRun is the function run once over one corpus input.
type corpusRun struct {
	name   string
	data   []byte
	before fn.KubeObjects
	rl     *fn.ResourceList
}

var (
	corpusRunsOnce sync.Once
	corpusRunsErr  error
	corpusRunsAll  []corpusRun
)

// corpusRuns runs the function over each upstream file, and over all of
// them together, once for the tests below, which only read the runs. The
// config isolates descheduler's CronJob (the shared corpus config) and
// longhorn's DaemonSets, so more than one file has a selected workload.
func corpusRuns(t *testing.T) []corpusRun {
	t.Helper()
	files := corpusFiles(t)
	corpusRunsOnce.Do(func() {
		var all []byte
		var runs []corpusRun
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				corpusRunsErr = err
				return
			}
			runs = append(runs, corpusRun{name: filepath.Base(f), data: data})
			all = append(append(all, data...), []byte("\n---\n")...)
		}
		runs = append(runs, corpusRun{name: "all files together", data: all})
		shared, err := os.ReadFile("../testdata/corpus/isolation.yaml")
		if err != nil {
			corpusRunsErr = err
			return
		}
		config := strings.Replace(string(shared), "  selectors:\n", "  selectors:\n  - kind: DaemonSet\n    namespace: longhorn-system\n", 1)
		for i := range runs {
			r := &runs[i]
			r.before = readAsKpt(t, r.data)
			cfg, err := fn.ParseKubeObject([]byte(config))
			if err != nil {
				corpusRunsErr = err
				return
			}
			r.rl = &fn.ResourceList{Items: readAsKpt(t, r.data), FunctionConfig: cfg}
			if ok, err := Run(r.rl); !ok || err != nil {
				corpusRunsErr = fmt.Errorf("%s: run failed: %v %v", r.name, err, r.rl.Results)
				return
			}
		}
		corpusRunsAll = runs
	})
	if corpusRunsErr != nil {
		t.Fatal(corpusRunsErr)
	}
	return corpusRunsAll
}

// selectedInCorpus is what corpusRuns' config selects, written out apart
// from its selectors.
func selectedInCorpus(obj *fn.KubeObject) bool {
	return obj.GetKind() == "CronJob" && obj.GetName() == "descheduler-cronjob" ||
		obj.GetKind() == "DaemonSet" && obj.GetNamespace() == "longhorn-system"
}

func objectID(obj *fn.KubeObject) string {
	return obj.GetKind() + "/" + obj.GetNamespace() + "/" + obj.GetName()
}

func TestCorpusKeepsEveryResource(t *testing.T) {
	for _, r := range corpusRuns(t) {
		if len(r.rl.Items) != len(r.before) {
			t.Errorf("%s: %d resources in, %d out", r.name, len(r.before), len(r.rl.Items))
			continue
		}
		for i, b := range r.before {
			if objectID(r.rl.Items[i]) != objectID(b) {
				t.Errorf("%s: resource %d is %s, was %s", r.name, i, objectID(r.rl.Items[i]), objectID(b))
			}
		}
	}
}

func TestCorpusKeepsComments(t *testing.T) {
	for _, r := range corpusRuns(t) {
		for i, b := range r.before {
			in, out := map[string]int{}, map[string]int{}
			comments(b.CopyToResourceNode().YNode(), in)
			comments(r.rl.Items[i].CopyToResourceNode().YNode(), out)
			for c, n := range in {
				if out[c] < n {
					t.Errorf("%s: %s lost the comment %q", r.name, objectID(b), c)
				}
			}
		}
	}
}

// TestCorpusChangesOnlyPlacementOfSelected checks that every selected
// workload changed, only in tolerations, affinity and nodeSelector, and that
// every other resource is byte for byte what it was.
func TestCorpusChangesOnlyPlacementOfSelected(t *testing.T) {
	selected := 0
	for _, r := range corpusRuns(t) {
		for i, b := range r.before {
			a := r.rl.Items[i]
			if !selectedInCorpus(b) {
				if a.String() != b.String() {
					t.Errorf("%s: %s is not selected but changed:\n%s", r.name, objectID(b), a.String())
				}
				continue
			}
			selected++
			if a.String() == b.String() {
				t.Errorf("%s: %s is selected but unchanged", r.name, objectID(b))
			}
			if !reflect.DeepEqual(withoutPlacement(t, a), withoutPlacement(t, b)) {
				t.Errorf("%s: %s changed beyond tolerations, affinity and nodeSelector", r.name, objectID(b))
			}
		}
	}
	if selected < 4 {
		t.Errorf("only %d selected workloads in the corpus runs", selected)
	}
}

// TestCorpusSecondRunIsIdentical runs the function again on its own output:
// the items come out byte for byte the same.
func TestCorpusSecondRunIsIdentical(t *testing.T) {
	for _, r := range corpusRuns(t) {
		var first bytes.Buffer
		if err := krmio.Write(&first, r.rl); err != nil {
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
			t.Errorf("%s: the second run is not byte-identical", r.name)
		}
	}
}
