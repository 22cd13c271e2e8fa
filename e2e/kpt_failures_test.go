package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestKptShowsEveryFailure runs real kpt on a package for each class of
// failure: kpt must print the function's own message (it hides it behind
// "output resource list must contain only KRM resources" when the
// ResourceList has no items) and leave every file as it was.
func TestKptShowsEveryFailure(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	cases := []struct {
		name string
		env  []string
		args []string
		// edit changes the package before the run.
		edit func(t *testing.T, dir string)
		want string
	}{
		{name: "resource-limit", env: []string{"ISOLATE_WORKLOADS_MAX_RESOURCES=1"},
			want: "more than 1; raise ISOLATE_WORKLOADS_MAX_RESOURCES"},
		{name: "input-size-limit", env: []string{"ISOLATE_WORKLOADS_MAX_INPUT_BYTES=100"},
			want: "larger than 100 bytes"},
		{name: "config-error", args: []string{"--", "nodePool=Bad_Name", "taints=a=b:NoSchedule", "labels=a=b", "kinds=Deployment"},
			want: "nodePool"},
		{name: "unsatisfiable-workload", edit: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "pinned.yaml"), `apiVersion: apps/v1
kind: Deployment
metadata:
  name: pinned
  namespace: team-a
  labels: {isolation: untrusted}
spec:
  template:
    spec:
      nodeSelector: {workloadType: shared}
      containers: [{name: a, image: nginx}]
`)
		}, want: "no node of pool"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyDir(t, kptExample)
			if tc.edit != nil {
				tc.edit(t, dir)
			}
			before := snapshot(t, dir)
			args := tc.args
			if args == nil {
				args = []string{"--fn-config", filepath.Join(dir, "isolation.yaml")}
			}
			cmd := exec.Command(kpt, append([]string{"fn", "eval", dir, "--exec", binary}, args...)...)
			cmd.Env = append(os.Environ(), tc.env...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err == nil {
				t.Fatalf("kpt succeeded:\n%s", out.String())
			}
			text := out.String()
			if strings.Contains(text, "must contain only KRM resources") || !strings.Contains(text, tc.want) {
				t.Errorf("kpt does not show the function's message %q:\n%s", tc.want, text)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("a failed run changed the package")
			}
		})
	}
}

// TestKptPassesNamelessObjectsThrough: a Kustomization (no metadata.name)
// beside the manifests is passed through as it came, and the rest of the
// package is isolated.
func TestKptPassesNamelessObjectsThrough(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	dir := copyDir(t, kptExample)
	kustomization := `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- workloads.yaml
`
	writeFile(t, filepath.Join(dir, "kustomization.yaml"), kustomization)
	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", filepath.Join(dir, "isolation.yaml"))
	if got := readFile(t, filepath.Join(dir, "kustomization.yaml")); got != kustomization {
		t.Errorf("the Kustomization changed:\n%s", got)
	}
	assertExpected(t, dir)
}

// snapshot is every file of a package, in one string.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b.WriteString(p + "\n" + readFile(t, p) + "\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
