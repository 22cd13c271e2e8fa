package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/yaml"
)

var subcommands = []string{"run", "render", "nodepool", "verify", "policy", "version", "completion"}

// TestHelpGoesToStdout: -h and --help on the root and every subcommand
// print the usage on stdout and exit 0, with --long flags and value names.
func TestHelpGoesToStdout(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"help"}} {
		code, out, stderr := runCLI(t, args...)
		if code != ExitOK || stderr != "" || !strings.Contains(out, "Available Commands:") {
			t.Errorf("%v: exit %d, stderr %q, stdout:\n%s", args, code, stderr, out)
		}
		for _, sub := range subcommands {
			if !strings.Contains(out, "\n  "+sub+" ") {
				t.Errorf("%v: the usage does not list %s:\n%s", args, sub, out)
			}
		}
	}
	valueNames := map[string][]string{
		"run":      {"--config FILE", "-o, --output WHERE"},
		"render":   {"--config FILE", "-f, --filename FILE", "-o, --output FORMAT"},
		"nodepool": {"--config FILE", "-o, --output FORMAT", "--target TARGET"},
		"verify":   {"--config FILE", "--cluster-state FILE", "--kubeconfig FILE", "--context NAME", "-o, --output FORMAT"},
		"policy":   {"--config FILE"},
		"version":  {"-o, --output FORMAT"},
	}
	for _, sub := range subcommands {
		for _, h := range []string{"-h", "--help"} {
			// The flag after a required-looking argument still asks for help.
			code, out, stderr := runCLI(t, sub, h)
			if code != ExitOK || stderr != "" || !strings.Contains(out, "Usage:\n  isolate-workloads "+sub) {
				t.Errorf("%s %s: exit %d, stderr %q, stdout:\n%s", sub, h, code, stderr, out)
			}
			for _, want := range valueNames[sub] {
				if !strings.Contains(out, want) {
					t.Errorf("%s %s: the usage lacks %q:\n%s", sub, h, want, out)
				}
			}
		}
	}
}

// TestUsageErrorsSuggest: an unknown command or flag exits 2, says what
// was wrong and what was probably meant, and prints nothing on stdout.
func TestUsageErrorsSuggest(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"rnder"}, "unknown command \"rnder\" for \"isolate-workloads\"\n\nDid you mean this?\n\trender\n"},
		{[]string{"verfy"}, "Did you mean this?\n\tverify\n"},
		{[]string{"render", "--confg", "x"}, "unknown flag: --confg\n\nDid you mean this?\n\t--config\n"},
		{[]string{"verify", "--cluster-stat", "x"}, "Did you mean this?\n\t--cluster-state\n"},
		{[]string{"run", ".", "--ouptut", "stdout"}, "Did you mean this?\n\t--output\n"},
		{[]string{"version", "--json"}, "unknown flag: --json"},
		{[]string{"render", "-x"}, "unknown shorthand flag: 'x' in -x"},
		{[]string{"run"}, "want exactly one package directory, got 0 arguments"},
		{[]string{"nodepool", "extra"}, `unexpected argument "extra"`},
		{[]string{"completion", "bsh"}, "unknown command \"bsh\" for \"isolate-workloads completion\"\n\nDid you mean this?\n\tbash\n"},
		{[]string{"completion"}, "name one of its commands"},
	}
	for _, tc := range cases {
		code, out, stderr := runCLI(t, tc.args...)
		if code != ExitBadInput || out != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and %q", tc.args, code, out, stderr, tc.want)
		}
	}
}

// TestFlagsAnywhere: flags before or after the directory, in kpt's
// spelling (--fn-config) or ours, and -o's old name --format.
func TestFlagsAnywhere(t *testing.T) {
	config := renderConfig
	for _, args := range [][]string{
		{"run", "DIR", "--config", config, "-o", "stdout"},
		{"run", "--config", config, "DIR", "--output=stdout"},
		{"run", "DIR", "--fn-config", config, "--format", "stdout"},
		{"run", "-o", "stdout", "DIR", "--fn-config=" + config},
	} {
		dir := runPackage(t, map[string]string{"web.yaml": webDeployment})
		for i := range args {
			if args[i] == "DIR" {
				args[i] = dir
			}
		}
		code, out, stderr := runCLI(t, args...)
		if code != ExitOK || !strings.Contains(out, "tolerations:") {
			t.Errorf("%v: exit %d, stdout:\n%s\nstderr:\n%s", args, code, out, stderr)
		}
		if data, _ := os.ReadFile(filepath.Join(dir, "web.yaml")); string(data) != webDeployment {
			t.Errorf("%v: -o stdout rewrote the package", args)
		}
	}
}

// TestOutputFormats: -o on every subcommand gives the same content in
// each format.
func TestOutputFormats(t *testing.T) {
	// nodepool: the JSON List holds the objects the YAML stream does.
	code, yamlOut, stderr := runCLI(t, "nodepool", "--config", emitConfig, "-o", "yaml")
	if code != ExitOK {
		t.Fatalf("nodepool -o yaml: exit %d: %s", code, stderr)
	}
	code, jsonOut, stderr := runCLI(t, "nodepool", "--fn-config", emitConfig, "--output", "json")
	if code != ExitOK {
		t.Fatalf("nodepool -o json: exit %d: %s", code, stderr)
	}
	var list struct {
		APIVersion, Kind string
		Items            []json.RawMessage
	}
	if err := json.Unmarshal([]byte(jsonOut), &list); err != nil || list.Kind != "List" || list.APIVersion != "v1" {
		t.Fatalf("nodepool -o json is not a v1 List (%v):\n%s", err, jsonOut)
	}
	objs, err := fn.ParseKubeObjects([]byte(yamlOut))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(list.Items) || len(objs) == 0 {
		t.Fatalf("-o yaml has %d objects, -o json %d", len(objs), len(list.Items))
	}
	for i, o := range objs {
		want, err := yaml.YAMLToJSON([]byte(o.String()))
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, want, list.Items[i]) {
			t.Errorf("item %d: -o json\n%s\n-o yaml\n%s", i, list.Items[i], want)
		}
	}

	// verify: the YAML report is the JSON one.
	state := "../testdata/verify/isolated-pod-on-shared-node.json"
	codeJSON, reportJSON, _ := runCLI(t, "verify", "--config", verifyConfig, "--cluster-state", state, "-o", "json")
	codeYAML, reportYAML, _ := runCLI(t, "verify", "--cluster-state", state, "--format", "yaml", "--config", verifyConfig)
	if codeJSON != ExitFindings || codeYAML != ExitFindings {
		t.Errorf("a violation exits 1 in every format: json %d, yaml %d", codeJSON, codeYAML)
	}
	asJSON, err := yaml.YAMLToJSON([]byte(reportYAML))
	if err != nil || !jsonEqual(t, asJSON, []byte(reportJSON)) || !strings.Contains(reportYAML, "violations: 1") {
		t.Errorf("verify -o yaml (%v):\n%s\n-o json:\n%s", err, reportYAML, reportJSON)
	}

	// version: the text is the JSON's version; the JSON names the Go release.
	_, text, _ := runCLI(t, "version")
	code, versionJSON, _ := runCLI(t, "version", "-o", "json")
	var info map[string]string
	if err := json.Unmarshal([]byte(versionJSON), &info); err != nil || code != ExitOK {
		t.Fatalf("version -o json: exit %d, %v:\n%s", code, err, versionJSON)
	}
	if info["version"] != strings.TrimSpace(text) || info["goVersion"] != runtime.Version() {
		t.Errorf("version -o json %v, text %q, Go %s", info, text, runtime.Version())
	}
	if _, ok := info["commit"]; !ok {
		t.Errorf("version -o json has no commit: %v", info)
	}
	if code, out, _ := runCLI(t, "--version"); code != ExitOK || out != "isolate-workloads version "+info["version"]+"\n" {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

// TestCompletion: the scripts name the command and its subcommands' flags
// come from the program itself (cobra's __complete).
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		code, out, stderr := runCLI(t, "completion", shell)
		if code != ExitOK || !strings.Contains(out, "isolate-workloads") {
			t.Errorf("completion %s: exit %d, %s", shell, code, stderr)
		}
	}
	code, out, _ := runCLI(t, "__complete", "render", "--")
	for _, want := range []string{"--config", "--filename", "--output"} {
		if code != ExitOK || !strings.Contains(out, want) {
			t.Errorf("__complete render --: exit %d, lacks %s:\n%s", code, want, out)
		}
	}
}
