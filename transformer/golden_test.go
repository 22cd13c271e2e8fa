package transformer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/kptdev/krm-functions-sdk/go/fn/testhelpers"
)

const goldenDir = "../testdata/golden"

// TestGolden runs every case under testdata/golden and compares the whole
// output ResourceList, results included. WRITE_GOLDEN_OUTPUT=1 rewrites them.
func TestGolden(t *testing.T) {
	testhelpers.RunGoldenTests(t, goldenDir, fn.ResourceListProcessorFunc(Run))
}

// TestGoldenIdempotent feeds each case's output back in: the items of the
// second run must be byte-identical to the first.
func TestGoldenIdempotent(t *testing.T) {
	for _, dir := range goldenCases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			first := loadCase(t, dir)
			_, _ = Run(first)
			once := itemsYAML(t, first)

			second, err := fn.ParseResourceList(once)
			if err != nil {
				t.Fatalf("output does not parse as a ResourceList: %v", err)
			}
			_, _ = Run(second)
			twice := itemsYAML(t, second)
			if string(once) != string(twice) {
				t.Errorf("second run changed the items:\n--- first\n%s\n--- second\n%s", once, twice)
			}
			// Nor may its results claim a change.
			for _, r := range second.Results {
				for _, claim := range []string{"isolated onto", "emitted ", "updated "} {
					if strings.HasPrefix(r.Message, claim) {
						t.Errorf("second run reports a change: %s", r.Message)
					}
				}
			}
		})
	}
}

func goldenCases(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		dirs = append(dirs, filepath.Join(goldenDir, e.Name()))
	}
	return dirs
}

// loadCase reads a golden case the way testhelpers.RunGoldenTests does.
func loadCase(t *testing.T, dir string) *fn.ResourceList {
	t.Helper()
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject()}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !testhelpers.IsValidYAMLOrKptfile(name) || name == "_expected.yaml" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		objs, err := fn.ParseKubeObjects(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if name == "_fnconfig.yaml" {
			if len(objs) == 1 {
				rl.FunctionConfig = objs[0]
			}
			continue
		}
		rl.Items = append(rl.Items, objs...)
	}
	return rl
}

// itemsYAML is the ResourceList without its results, which describe a run
// rather than the resources.
func itemsYAML(t *testing.T, rl *fn.ResourceList) []byte {
	t.Helper()
	out := &fn.ResourceList{Items: rl.Items, FunctionConfig: rl.FunctionConfig}
	data, err := out.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
