package testcorpus

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// PodSpecs returns every pod spec (a map with containers, at a Pod's,
// template's or CronJob's pod spec path) in testdata/corpus/manifests and
// testdata/golden/*/resources.yaml, with testdata found at root.
func PodSpecs(t testing.TB, root string) []*yaml.RNode {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "testdata/corpus/manifests/*.yaml"))
	golden, _ := filepath.Glob(filepath.Join(root, "testdata/golden/*/resources.yaml"))
	var out []*yaml.RNode
	for _, f := range append(files, golden...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, AnchorsAweigh: true}).Read()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, n := range nodes {
			for _, path := range [][]string{{"spec"}, {"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}} {
				if spec, err := n.Pipe(yaml.Lookup(path...)); err == nil && spec != nil && spec.Field("containers") != nil {
					out = append(out, spec)
				}
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("found only %d pod specs under %s", len(out), root)
	}
	return out
}
