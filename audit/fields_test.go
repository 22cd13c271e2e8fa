package audit

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/podyaml"
	"github.com/isolate-workloads/isolate-workloads/internal/testcorpus"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// TestDecodePodSpecAgreesWithFullDecode checks the audit's reduced decoding
// against decoding the whole corev1.PodSpec, on every pod template of the
// real-world corpus: the privileges and scheduling fields must be the same.
func TestDecodePodSpecAgreesWithFullDecode(t *testing.T) {
	files, _ := filepath.Glob("../testdata/corpus/manifests/*.yaml")
	checked := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		nodes, err := (&kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, AnchorsAweigh: true}).Read()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range nodes {
			for _, path := range [][]string{{"spec", "template", "spec"}, {"spec", "jobTemplate", "spec", "template", "spec"}} {
				spec, err := n.Pipe(yaml.Lookup(path...))
				if err != nil || spec == nil {
					continue
				}
				var full corev1.PodSpec
				if err := typedyaml.Decode(spec.YNode(), &full); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				reduced, err := DecodePodSpec(spec.YNode())
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				p := field.NewPath("spec")
				if got, want := Privileges(reduced, p), Privileges(full, p); !reflect.DeepEqual(got, want) {
					t.Errorf("%s %s: privileges %v, want %v", f, n.GetName(), got, want)
				}
				if !reflect.DeepEqual(reduced.Tolerations, full.Tolerations) || !reflect.DeepEqual(reduced.Affinity, full.Affinity) ||
					!reflect.DeepEqual(reduced.NodeSelector, full.NodeSelector) {
					t.Errorf("%s %s: scheduling fields differ", f, n.GetName())
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d pod templates", checked)
	}
}

func podSpecs(t testing.TB) []*yaml.RNode { return testcorpus.PodSpecs(t, "..") }

// readerAgreesWithJSON checks the podyaml reader's contract on the audit's
// view: when it decodes a pod spec, the JSON path decodes it to the same
// value. It reports whether the reader decoded it.
func readerAgreesWithJSON(t *testing.T, podSpec *yaml.Node) bool {
	t.Helper()
	relevant := RelevantFields(podSpec)
	r := &podyaml.Reader{}
	got := readPodView(r, relevant)
	if !r.OK() {
		return false
	}
	var want podView
	if err := typedyaml.Decode(relevant, &want); err != nil {
		t.Errorf("the reader decoded a pod spec the JSON path rejects: %v", err)
		return true
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("reader %#v\nJSON   %#v", got, want)
	}
	return true
}

func TestPodViewReaderAgreesWithJSON(t *testing.T) {
	decoded, specs := 0, podSpecs(t)
	for _, spec := range specs {
		if readerAgreesWithJSON(t, spec.YNode()) {
			decoded++
		}
	}
	t.Logf("the reader decoded %d of %d pod specs", decoded, len(specs))
	if len(specs) < 40 || decoded < len(specs)*9/10 {
		t.Errorf("the reader decoded %d of %d pod specs; it should handle nearly all real ones", decoded, len(specs))
	}
	for _, odd := range []string{
		"{containers: [{name: c, securityContext: {privileged: 'yes'}}]}",
		"{containers: [{name: c, securityContext: {capabilities: {add: [1]}}}]}",
		"{hostNetwork: 1, containers: []}",
		"{hostNetwork: !!bool 1, containers: []}",
		"{hostNetwork: !!bool yes, containers: []}",
		"{volumes: [{name: v, hostPath: {path: 5}}], containers: []}",
		"{securityContext: {runAsUser: zero}, containers: []}",
	} {
		if readerAgreesWithJSON(t, yaml.MustParse(odd).YNode()) {
			t.Errorf("%s: the reader should leave this to the JSON path", odd)
		}
	}
}

// FuzzPodViewReader holds the reader to its contract on any pod spec.
func FuzzPodViewReader(f *testing.F) {
	for _, spec := range podSpecs(f) {
		text, err := spec.String()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(text)
	}
	f.Fuzz(func(t *testing.T, text string) {
		rn, err := yaml.Parse(text)
		if err != nil || rn == nil {
			return
		}
		readerAgreesWithJSON(t, rn.YNode())
	})
}
