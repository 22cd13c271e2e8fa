package config

import (
	"reflect"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/internal/testcorpus"
)

// FuzzLoad decodes and validates arbitrary functionConfigs: no panic, every
// error names a field, a config that loads is valid and stays the same when
// defaulted again, and the decoder agrees with the strict JSON decoding of
// Kubernetes (decodeAgreesWithJSON).
func FuzzLoad(f *testing.F) {
	testcorpus.AddSeeds(f, "../testdata/golden/*/_fnconfig.yaml")
	f.Add([]byte(`apiVersion: v1
kind: ConfigMap
data: {nodePool: p, taints: 'a=b:NoSchedule', labels: a=b, kinds: Pod, audit.privilegedTolerating: warning}
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		obj, err := fn.ParseKubeObject(data)
		if err != nil {
			return
		}
		if obj.IsGVK(Group, Version, Kind) {
			decodeAgreesWithJSON(t, "fuzz input", obj.CopyToResourceNode().YNode())
		}
		w, errs := Load(obj)
		if len(errs) > 0 {
			if w != nil {
				t.Fatal("Load returned a config together with errors")
			}
			for _, e := range errs {
				if e.Field == "" {
					t.Errorf("an error without a field: %v", e)
				}
			}
			return
		}
		if again := w.Validate(); len(again) > 0 {
			t.Fatalf("a loaded config does not validate: %v", again)
		}
		before := *w
		w.Default()
		if !reflect.DeepEqual(before, *w) {
			t.Fatal("defaulting a loaded config changed it")
		}
	})
}
