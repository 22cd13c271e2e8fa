package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// pipelinePath puts the built function and kustomize first on PATH, as the
// Argo CD sidecar and the Flux render job have them.
func pipelinePath(t *testing.T) []string {
	t.Helper()
	kustomize := tool(t, "kustomize")
	return append(os.Environ(), "PATH="+pipelineDirs(kustomize))
}

func pipelineDirs(kustomize string) string {
	return filepath.Dir(binary) + ":" + filepath.Dir(kustomize) + ":" + os.Getenv("PATH")
}

// lookPathIn finds a command on the given PATH, as the pipeline's shell would.
func lookPathIn(t *testing.T, name, path string) string {
	t.Helper()
	for _, dir := range filepath.SplitList(path) {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	t.Fatalf("%s is not on the pipeline's PATH", name)
	return ""
}

func parseFile(t *testing.T, path string) fn.KubeObjects {
	t.Helper()
	objs, err := fn.ParseKubeObjects([]byte(readFile(t, path)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return objs
}

// TestArgoCDPlugin runs the CMP's generate command exactly as plugin.yaml
// writes it, in the directory the Application points at.
func TestArgoCDPlugin(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "argocd")
	cm := parseFile(t, filepath.Join(dir, "cmp-plugin.yaml"))[0]
	plugin, err := fn.ParseKubeObject([]byte(cm.GetMap("data").GetString("plugin.yaml")))
	if err != nil {
		t.Fatalf("plugin.yaml: %v", err)
	}
	if plugin.GetKind() != "ConfigManagementPlugin" {
		t.Fatalf("plugin.yaml is a %s", plugin.GetKind())
	}
	command, _, _ := plugin.NestedStringSlice("spec", "generate", "command")
	args, _, _ := plugin.NestedStringSlice("spec", "generate", "args")
	if len(command) == 0 {
		t.Fatal("plugin.yaml has no generate command")
	}

	app := parseFile(t, filepath.Join(dir, "application.yaml"))[0]
	appPath, _, _ := app.NestedString("spec", "source", "path")
	pluginName, _, _ := app.NestedString("spec", "source", "plugin", "name")
	version, _, _ := plugin.NestedString("spec", "version")
	if want := plugin.GetName() + "-" + version; pluginName != want {
		t.Errorf("the Application asks for plugin %q; Argo CD names it %q", pluginName, want)
	}

	// The sidecar mounts the ConfigMap that holds plugin.yaml.
	patch := readFile(t, filepath.Join(dir, "repo-server-patch.yaml"))
	if !strings.Contains(patch, "name: "+cm.GetName()) || !strings.Contains(patch, "/home/argocd/cmp-server/config/plugin.yaml") {
		t.Error("repo-server-patch.yaml does not mount the plugin ConfigMap at the CMP config path")
	}
	parseFile(t, filepath.Join(dir, "repo-server-patch.yaml"))

	// The Application's app, and the multi-tenant example as another
	// Application's path: its transformer names the binary by bare name too.
	generate := lookPathIn(t, command[0], pipelineDirs(tool(t, "kustomize")))
	all := slices.Concat(command[1:], args)
	for _, app := range []struct {
		path, expected string
		assert         func(t *testing.T, output string)
	}{
		{appPath, filepath.Join("examples", "kustomization", "expected.yaml"), assertIsolatedExample},
		{multiTenantExample, filepath.Join(multiTenantExample, "expected.yaml"), assertMultiTenantExample},
	} {
		t.Run(filepath.Base(app.path), func(t *testing.T) {
			cmd := exec.Command(generate, all...)
			cmd.Dir = filepath.Join(repoRoot, app.path)
			cmd.Env = pipelinePath(t)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("generate: %v\n%s", err, stderrOf(err))
			}
			if string(out) != readFile(t, filepath.Join(repoRoot, app.expected)) {
				t.Errorf("the plugin's output differs from %s:\n%s", app.expected, out)
			}
			app.assert(t, string(out))
		})
	}
}

// TestFluxRender runs the render script as written and checks that it
// produces what is committed in the directory Flux reconciles.
func TestFluxRender(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "flux")
	// Flux's app, and the multi-tenant example rendered by the same script.
	for _, app := range []struct {
		path, committed string
		assert          func(t *testing.T, output string)
	}{
		{filepath.Join("examples", "flux", "app"), filepath.Join("examples", "flux", "rendered", "manifests.yaml"), assertIsolatedExample},
		{multiTenantExample, filepath.Join(multiTenantExample, "expected.yaml"), assertMultiTenantExample},
	} {
		t.Run(filepath.Base(app.path), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(filepath.Join(dir, "render.sh"), app.path, out)
			cmd.Dir = repoRoot
			cmd.Env = pipelinePath(t)
			if msg, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("render.sh: %v\n%s", err, msg)
			}
			got := readFile(t, filepath.Join(out, "manifests.yaml"))
			if got != readFile(t, filepath.Join(repoRoot, app.committed)) {
				t.Errorf("rendered output differs from the committed %s; render it again:\n%s", app.committed, got)
			}
			app.assert(t, got)
		})
	}

	var kustomizationPath string
	for _, o := range parseFile(t, filepath.Join(dir, "flux-kustomization.yaml")) {
		if o.GetKind() == "Kustomization" {
			kustomizationPath, _, _ = o.NestedString("spec", "path")
		}
	}
	if filepath.Clean(kustomizationPath) != filepath.Join("examples", "flux", "rendered") {
		t.Errorf("the Flux Kustomization reconciles %q, not the rendered directory", kustomizationPath)
	}
	parseFile(t, filepath.Join(dir, "ci-render.yaml"))
}
