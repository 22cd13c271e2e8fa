package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
)

// The chart written for these tests (testdata/helm/chart) and the config
// that selects every workload in it.
var (
	helmChart  = filepath.Join(repoRoot, "testdata", "helm", "chart")
	helmConfig = filepath.Join(repoRoot, "testdata", "helm", "isolation.yaml")
	helmPlugin = filepath.Join(repoRoot, "examples", "helm")
)

// The chart's pods, by kind and name (release "shop"), and whether each is
// a hook.
var helmWorkloads = []struct {
	kind, name string
	hook       bool
}{
	{"Deployment", "shop-web", false},
	{"CronJob", "shop-report", false},
	{"StatefulSet", "shop-worker", false}, // from the sub-chart
	{"Job", "shop-migrate", true},         // the pre-install hook
}

// helmBinary finds a Helm built by `make tools` into bin/tools/helm-VERSION.
func helmBinary(t *testing.T, version string) string {
	t.Helper()
	p := filepath.Join(repoRoot, "bin", "tools", "helm-"+version, "helm")
	if fileExists(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must install it (run `make tools`)", p)
	}
	t.Skipf("%s is not installed; run `make tools`", p)
	return ""
}

// helmEnv keeps Helm away from the user's plugins, repositories and
// clusters: its homes are temporary, the kubeconfig points nowhere, and
// the function binary is first on PATH for the Helm 4 plugin.
func helmEnv(t *testing.T) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"HELM_CACHE_HOME=" + filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME=" + filepath.Join(home, "config"),
		// Plugins go to HELM_DATA_HOME/plugins: Helm 4's `plugin install`
		// writes there even when HELM_PLUGINS says otherwise (measured, v4.3.1).
		"HELM_DATA_HOME=" + filepath.Join(home, "data"),
		"KUBECONFIG=" + filepath.Join(home, "no-kubeconfig"),
		"PATH=" + filepath.Dir(binary) + string(os.PathListSeparator) + os.Getenv("PATH"),
	}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HELM_") && !strings.HasPrefix(kv, "KUBECONFIG=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PATH=") {
			env = append(env, kv)
		}
	}
	return env
}

func runHelm(t *testing.T, helm string, env []string, args ...string) string {
	t.Helper()
	out, stderr, err := runWith(env, "", helm, args...)
	if err != nil {
		t.Fatalf("helm %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func runWith(env []string, stdin, name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// renderStream pipes a stream through `isolate-workloads render`.
func renderStream(t *testing.T, stream string) string {
	t.Helper()
	out, stderr, err := runWith(os.Environ(), stream, binary, "render", "--config", helmConfig)
	if err != nil {
		t.Fatalf("render: %v\n%s", err, stderr)
	}
	return out
}

// isolatedOnto asks the scheduler's own predicates whether a pod spec
// tolerates the pool's taint and is required onto the pool's nodes only.
func isolatedOnto(spec corev1.PodSpec) bool {
	pool := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"workloadType": "untrusted"}},
		Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}}}}
	shared := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{}}}
	pod := &corev1.Pod{Spec: spec}
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), pool.Spec.Taints, spec.Tolerations, nil, false)
	required := nodeaffinity.GetRequiredNodeAffinity(pod)
	onPool, _ := required.Match(pool)
	onShared, _ := required.Match(shared)
	return !untolerated && onPool && !onShared
}

// assertHelmOutput checks a rendered release: each workload isolated or
// untouched as hooksIsolated says of the hook, and the Service exactly as
// the chart renders it.
func assertHelmOutput(t *testing.T, label, output, plain string, hooksIsolated bool) {
	t.Helper()
	objs := parseObjects(t, output)
	for _, w := range helmWorkloads {
		spec := podSpec(t, find(t, objs, w.kind, w.name))
		want := !w.hook || hooksIsolated
		if got := isolatedOnto(spec); got != want {
			t.Errorf("%s: %s %s isolated=%t, want %t: %+v %+v", label, w.kind, w.name, got, want, spec.Tolerations, spec.Affinity)
		}
		if !want && (len(spec.Tolerations) > 0 || spec.Affinity != nil) {
			t.Errorf("%s: %s %s must be untouched", label, w.kind, w.name)
		}
	}
	got := find(t, objs, "Service", "shop-web").String()
	if want := find(t, parseObjects(t, plain), "Service", "shop-web").String(); got != want {
		t.Errorf("%s: the Service changed:\n%s\nwant:\n%s", label, got, want)
	}
}

// installedManifests is what `helm install --dry-run` prints of the release:
// the hooks (after HOOKS:) and the manifest (after MANIFEST:).
func installedManifests(t *testing.T, out string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "\nHOOKS:\n")
	hooks, manifest, ok2 := strings.Cut(rest, "\nMANIFEST:\n")
	if !ok || !ok2 {
		t.Fatalf("helm install --dry-run printed no HOOKS: and MANIFEST: sections:\n%s", out)
	}
	manifest, _, _ = strings.Cut(manifest, "\nNOTES:\n")
	// The manifest starts with its own --- line.
	return hooks + "\n" + manifest
}

// TestHelm3PostRenderer: Helm 3's --post-renderer runs `render` on every
// template but never on hooks (helm/helm#7891), so the hook Job comes out
// untouched; piping `helm template` through render covers it.
func TestHelm3PostRenderer(t *testing.T) {
	helm := helmBinary(t, "v3.22.0")
	env := helmEnv(t)
	plain := runHelm(t, helm, env, "template", "shop", helmChart)
	postRender := []string{"--post-renderer", binary, "--post-renderer-args", "render", "--post-renderer-args", "--config=" + helmConfig}

	out := runHelm(t, helm, env, append([]string{"template", "shop", helmChart}, postRender...)...)
	assertHelmOutput(t, "helm 3 template --post-renderer", out, plain, false)

	piped := renderStream(t, plain)
	assertHelmOutput(t, "helm 3 template | render", piped, plain, true)
	if again := renderStream(t, piped); again != piped {
		t.Errorf("a second pass changed the stream:\n%s", again)
	}

	// Helm 3's install asks the cluster for its version even with
	// --dry-run=client (only `helm template` sets ClientOnly), so the
	// dry run gets a real control plane.
	cluster := testcluster.Start(t)
	dryRun := runHelm(t, helm, env, append([]string{"install", "shop", helmChart, "--dry-run=client", "--kubeconfig", cluster.Kubeconfig}, postRender...)...)
	assertHelmOutput(t, "helm 3 install --dry-run=client --post-renderer", installedManifests(t, dryRun), plain, false)
}

// TestHelm4Plugin: Helm 4's post-renderer plugin from examples/helm,
// installed like a user installs it, isolates every pod of the chart, the
// hook's included (Helm 4 post-renders hooks and templates together).
func TestHelm4Plugin(t *testing.T) {
	helm := helmBinary(t, "v4.3.1")
	env := helmEnv(t)
	runHelm(t, helm, env, "plugin", "install", helmPlugin)
	if list := runHelm(t, helm, env, "plugin", "list"); !strings.Contains(list, "isolate-workloads") {
		t.Fatalf("the plugin is not installed:\n%s", list)
	}
	plain := runHelm(t, helm, env, "template", "shop", helmChart)
	postRender := []string{"--post-renderer", "isolate-workloads", "--post-renderer-args", "--config=" + helmConfig}

	out := runHelm(t, helm, env, append([]string{"template", "shop", helmChart}, postRender...)...)
	assertHelmOutput(t, "helm 4 template --post-renderer plugin", out, plain, true)
	if again := renderStream(t, out); again != out {
		t.Errorf("a second pass changed the stream:\n%s", again)
	}

	dryRun := runHelm(t, helm, env, append([]string{"install", "shop", helmChart, "--dry-run=client"}, postRender...)...)
	assertHelmOutput(t, "helm 4 install --dry-run=client", installedManifests(t, dryRun), plain, true)

	// A failing render fails the release, and Helm writes nothing.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(`apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata: {name: x}
spec: {}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := runWith(env, "", helm, "template", "shop", helmChart, "--post-renderer", "isolate-workloads", "--post-renderer-args", "--config="+bad)
	if err == nil || stdout != "" {
		t.Errorf("an invalid config: err %v, stdout %q, stderr %s", err, stdout, stderr)
	}
}
