package e2e

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// resources reads a package as kpt does and returns its resources by
// identity, as plain maps.
func resources(t *testing.T, dir string) map[string]map[string]any {
	t.Helper()
	nodes, err := (&kio.LocalPackageReader{PackagePath: dir, OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, n := range nodes {
		m, err := n.Map()
		if err != nil {
			t.Fatal(err)
		}
		out[n.GetApiVersion()+"/"+n.GetKind()+"/"+n.GetNamespace()+"/"+n.GetName()] = m
	}
	return out
}

// runAndKptEvalAgree isolates ours with `run` and theirs, a copy of it, with
// `kpt fn eval`, both with the config cfg, and holds the resources of the
// two to each other. It returns how many there are.
func runAndKptEvalAgree(t *testing.T, kpt, cfg, ours, theirs string) int {
	t.Helper()
	run(t, repoRoot, binary, "run", "--config", cfg, ours)
	run(t, theirs, kpt, "fn", "eval", theirs, "--exec", binary, "--fn-config", cfg)
	a, b := resources(t, ours), resources(t, theirs)
	if len(a) != len(b) {
		t.Fatalf("%d resources from run, %d from kpt", len(a), len(b))
	}
	for id, m := range a {
		if !reflect.DeepEqual(m, b[id]) {
			ya, _ := yaml.Marshal(m)
			yb, _ := yaml.Marshal(b[id])
			t.Errorf("%s differs:\n--- run\n%s\n--- kpt\n%s", id, ya, yb)
		}
	}
	return len(a)
}

// TestRunMatchesKptEval runs the directory mode and real kpt over the same
// copy of the corpus: the resources must come out the same.
func TestRunMatchesKptEval(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	corpus := filepath.Join(repoRoot, "testdata", "corpus", "manifests")
	ours, theirs := copyDir(t, corpus), copyDir(t, corpus)
	runAndKptEvalAgree(t, kpt, filepath.Join(repoRoot, "testdata", "corpus", "isolation.yaml"), ours, theirs)
	if _, err := os.Stat(filepath.Join(ours, "descheduler-cronjob.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestRunMatchesKptEvalOnLayouts does the same over dirmode's layout
// fixtures (blank lines, mixed indentation, flow style, JSON, CRLF,
// comments), which directory mode edits in place rather than encoding
// them again. kpt refuses the nameless List export of the fixtures, so it
// is left out.
func TestRunMatchesKptEvalOnLayouts(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	layouts := filepath.Join(repoRoot, "dirmode", "testdata", "layouts")
	ours, theirs := copyDir(t, layouts), copyDir(t, layouts)
	for _, dir := range []string{ours, theirs} {
		if err := os.Remove(filepath.Join(dir, "list-export.yaml")); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(repoRoot, "dirmode", "testdata", "isolate-workloads.yaml")
	if n := runAndKptEvalAgree(t, kpt, cfg, ours, theirs); n < 7 {
		t.Errorf("only %d resources in the layout fixtures", n)
	}
}
