package cli

import (
	"os"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/stretchr/testify/assert"
)

const examplePolicy = "../examples/enforcement/policy.yaml"

// TestPolicyExample checks the committed rendered policy of the example, which
// the README shows. WRITE_GOLDEN_OUTPUT=1 rewrites it.
func TestPolicyExample(t *testing.T) {
	code, out, stderr := runCLI(t, "policy", "--config", "../examples/enforcement/isolation.yaml")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if os.Getenv("WRITE_GOLDEN_OUTPUT") != "" {
		if err := os.WriteFile(examplePolicy, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(examplePolicy)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("the rendered policy differs from %s (WRITE_GOLDEN_OUTPUT=1 rewrites it):\n%s", examplePolicy, out)
	}
}

// TestPolicyMatchesFunction: the command prints exactly the objects the
// function emits for the same config.
func TestPolicyMatchesFunction(t *testing.T) {
	for dir, objects := range map[string]int{
		"../testdata/golden/enforcement-every-workload-kind/": 2,
		// One policy and one binding per pool.
		"../testdata/golden/multi-pool-enforcement/": 4,
	} {
		code, out, stderr := runCLI(t, "policy", "--config", dir+"_fnconfig.yaml")
		if code != ExitOK {
			t.Fatalf("%s: exit %d: %s", dir, code, stderr)
		}
		data, err := os.ReadFile(dir + "_expected.yaml")
		if err != nil {
			t.Fatal(err)
		}
		rl, err := fn.ParseResourceList(data)
		if err != nil {
			t.Fatal(err)
		}
		var emitted []string
		for _, obj := range rl.Items {
			if strings.HasPrefix(obj.GetAPIVersion(), "admissionregistration.k8s.io/") {
				emitted = append(emitted, obj.String())
			}
		}
		if len(emitted) != objects {
			t.Fatalf("%s: the function emitted %d admission objects, want %d", dir, len(emitted), objects)
		}
		// The golden files keep items sorted by kind and name.
		assert.ElementsMatch(t, emitted, strings.Split(out, "---\n"), "%s: policy prints what the function emits", dir)
	}
}

func TestPolicyBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no config", []string{"policy"}, "--config is required"},
		{"no enforcement", []string{"policy", "--config", emitConfig}, "has no spec.enforcement"},
		{"invalid enforcement", []string{"policy", "--config", "../testdata/golden/enforcement-invalid-config/_fnconfig.yaml"},
			`spec.enforcement.validationActions[2]: Unsupported value: "Block"`},
		{"extra argument", []string{"policy", "--config", emitConfig, "x"}, `unexpected argument "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, tc.args...)
			if code != ExitBadInput || out != "" || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, no output and %q", code, out, stderr, ExitBadInput, tc.want)
			}
		})
	}
}
