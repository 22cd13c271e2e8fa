// Command gen writes seeded benchmark inputs: a ResourceList for the
// function, or a directory of manifests for the directory mode and kpt.
//
//	gen -n 10000 -seed 1 -format resourcelist > rl.yaml
//	gen -n 10000 -seed 1 -format dir -out DIR
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	n := flag.Int("n", 1000, "number of resources")
	seed := flag.Int64("seed", 1, "random seed; the same seed gives the same input")
	format := flag.String("format", "resourcelist", "resourcelist, or dir (one file per 50 resources, plus isolation.yaml)")
	out := flag.String("out", "", "output directory for -format dir")
	perFile := flag.Int("per-file", 50, "resources per file for -format dir")
	flag.Parse()

	g := &generator{rnd: rand.New(rand.NewSource(*seed))}
	switch *format {
	case "resourcelist":
		w := os.Stdout
		fmt.Fprintln(w, "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:")
		fmt.Fprint(w, indent(Config, "  "))
		fmt.Fprintln(w, "items:")
		for i := 0; i < *n; i++ {
			fmt.Fprint(w, listItem(g.resource(i)))
		}
	case "dir":
		if *out == "" {
			fail("-out is required with -format dir")
		}
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fail("%v", err)
		}
		if err := os.WriteFile(filepath.Join(*out, "isolation.yaml"), []byte(ConfigLocal), 0o644); err != nil {
			fail("%v", err)
		}
		var f io.WriteCloser
		for i := 0; i < *n; i++ {
			if i%*perFile == 0 {
				if f != nil {
					f.Close()
				}
				var err error
				f, err = os.Create(filepath.Join(*out, fmt.Sprintf("resources-%05d.yaml", i / *perFile)))
				if err != nil {
					fail("%v", err)
				}
			} else {
				fmt.Fprintln(f, "---")
			}
			fmt.Fprint(f, g.resource(i))
		}
		if f != nil {
			f.Close()
		}
	default:
		fail("unknown -format %q", *format)
	}
}

func fail(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gen: "+format+"\n", a...)
	os.Exit(2)
}

// Config selects the workloads labelled isolation=untrusted: about half.
const Config = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: bench
spec:
  nodePool:
    name: untrusted-pool
    taints:
    - key: workloadType
      value: untrusted
      effect: NoExecute
    labels:
      workloadType: untrusted
  selectors:
  - labelSelector: isolation=untrusted
  excludes:
  - namespace: kube-system
  systemNodePool:
    name: system-pool
`

// ConfigLocal is Config as a file in a package, kept out of the output.
var ConfigLocal = strings.Replace(Config, "  name: bench\n", "  name: bench\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n", 1)

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return prefix + strings.Join(lines, "\n"+prefix) + "\n"
}

func listItem(doc string) string {
	lines := strings.Split(strings.TrimRight(doc, "\n"), "\n")
	return "- " + strings.Join(lines, "\n  ") + "\n"
}

type generator struct{ rnd *rand.Rand }

var kinds = []struct{ apiVersion, kind string }{
	{"apps/v1", "Deployment"}, {"apps/v1", "Deployment"}, {"apps/v1", "StatefulSet"}, {"apps/v1", "DaemonSet"},
	{"batch/v1", "Job"}, {"batch/v1", "CronJob"}, {"v1", "Pod"},
	{"v1", "Service"}, {"v1", "ConfigMap"}, {"v1", "ServiceAccount"},
}

func (g *generator) resource(i int) string {
	k := kinds[g.rnd.Intn(len(kinds))]
	name := fmt.Sprintf("app-%06d", i)
	ns := fmt.Sprintf("team-%02d", g.rnd.Intn(40))
	switch k.kind {
	case "Service":
		return fmt.Sprintf("apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app: %s\nspec:\n  selector:\n    app: %s\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n", name, ns, name, name)
	case "ConfigMap":
		return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  namespace: %s\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"a,b,c\"\n  config.json: |\n    {\"replicas\": %d, \"timeoutSeconds\": 30}\n", name, ns, g.rnd.Intn(5)+1)
	case "ServiceAccount":
		return fmt.Sprintf("apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: %s\n  namespace: %s\n", name, ns)
	}
	isolation := "trusted"
	if g.rnd.Intn(100) < 55 {
		isolation = "untrusted"
	}
	meta := fmt.Sprintf("apiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    app: %s\n    isolation: %s\n", k.apiVersion, k.kind, name, ns, name, isolation)
	pod := g.podSpec(name)
	switch k.kind {
	case "Pod":
		return meta + "spec:\n" + indent(pod, "  ")
	case "CronJob":
		return meta + "spec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n        metadata:\n          labels:\n            app: " + name + "\n        spec:\n" + indent("restartPolicy: OnFailure\n"+pod, "          ")
	case "Job":
		return meta + "spec:\n  backoffLimit: 3\n  template:\n    metadata:\n      labels:\n        app: " + name + "\n    spec:\n" + indent("restartPolicy: Never\n"+pod, "      ")
	}
	replicas := ""
	if k.kind != "DaemonSet" {
		replicas = fmt.Sprintf("  replicas: %d\n", g.rnd.Intn(5)+1)
	}
	return meta + "spec:\n" + replicas + "  selector:\n    matchLabels:\n      app: " + name + "\n  template:\n    metadata:\n      labels:\n        app: " + name + "\n    spec:\n" + indent(pod, "      ")
}

// podSpec is a realistic pod spec; some carry tolerations and affinity.
func (g *generator) podSpec(name string) string {
	var b strings.Builder
	b.WriteString("serviceAccountName: " + name + "\n")
	if g.rnd.Intn(4) == 0 {
		b.WriteString("tolerations:\n- key: example.com/spot\n  operator: Exists\n  effect: NoSchedule\n")
		for i := 0; i < g.rnd.Intn(3); i++ {
			fmt.Fprintf(&b, "- key: example.com/team-%d\n  operator: Equal\n  value: \"true\"\n  effect: NoSchedule\n", i)
		}
	}
	if g.rnd.Intn(4) == 0 {
		b.WriteString("affinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n")
		for i := 0; i <= g.rnd.Intn(3); i++ {
			fmt.Fprintf(&b, "      - matchExpressions:\n        - key: topology.kubernetes.io/zone\n          operator: In\n          values: [us-west1-%c]\n", 'a'+i)
		}
	}
	b.WriteString("securityContext:\n  runAsNonRoot: true\n  runAsUser: 10001\n")
	b.WriteString("containers:\n")
	for c := 0; c <= g.rnd.Intn(2)/2; c++ {
		fmt.Fprintf(&b, "- name: c%d\n  image: registry.example.com/%s:%d.%d.%d\n  args: [\"--port=8080\", \"--log-level=info\"]\n", c, name, g.rnd.Intn(3), g.rnd.Intn(20), g.rnd.Intn(10))
		b.WriteString("  env:\n  - name: LOG_FORMAT\n    value: json\n")
		b.WriteString("  resources:\n    requests:\n      cpu: 100m\n      memory: 128Mi\n    limits:\n      memory: 256Mi\n")
		b.WriteString("  securityContext:\n    allowPrivilegeEscalation: false\n    readOnlyRootFilesystem: true\n    capabilities:\n      drop: [ALL]\n")
		b.WriteString("  volumeMounts:\n  - name: tmp\n    mountPath: /tmp\n")
	}
	b.WriteString("volumes:\n- name: tmp\n  emptyDir: {}\n")
	return b.String()
}
