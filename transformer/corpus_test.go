package transformer

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"
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
