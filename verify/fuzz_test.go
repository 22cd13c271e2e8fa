package verify

import (
	"bytes"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/internal/testcorpus"
)

// FuzzDecode feeds arbitrary bytes to the cluster-state decoder and, when
// they decode, to Verify: bad input is an error, never a panic.
func FuzzDecode(f *testing.F) {
	testcorpus.AddSeeds(f, "../testdata/verify/*.json")
	f.Add([]byte(`{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n"}},{"kind":"Node","metadata":{"name":"n"}}]}`))
	pools := fuzzPools()
	f.Fuzz(func(t *testing.T, data []byte) {
		state := &ClusterState{}
		if err := Decode(bytes.NewReader(data), "fuzz", state); err != nil {
			return
		}
		if err := state.Check(); err != nil {
			return
		}
		report := Verify(pools, state)
		if report.Summary.Pods != len(state.Pods) {
			t.Fatalf("checked %d pods of %d", report.Summary.Pods, len(state.Pods))
		}
		var buf bytes.Buffer
		if err := report.WriteTable(&buf); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
