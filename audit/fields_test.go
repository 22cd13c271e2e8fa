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
