package verify

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the cluster-state decoder and, when
// they decode, to Verify: bad input is an error, never a panic.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("../testdata/verify/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
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
