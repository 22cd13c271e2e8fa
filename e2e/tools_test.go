package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/internal/fsutil"
)

// repoRoot is the module root, whatever directory go test runs in.
var repoRoot = func() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}()

// binary is the function, built once by TestMain at the path the examples
// use; liveBinary, next to it, is the live mode of verify that the function
// runs for --kubeconfig and --in-cluster (as `make build` lays them out).
var (
	binary     = filepath.Join(repoRoot, "bin", "isolate-workloads")
	liveBinary = filepath.Join(repoRoot, "bin", "isolate-workloads-live")
)

func TestMain(m *testing.M) {
	for out, pkg := range map[string]string{binary: "./function", liveBinary: "./function/live"} {
		build := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
		build.Dir = repoRoot
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			os.Stderr.WriteString("building " + pkg + ": " + err.Error() + "\n")
			os.Exit(1)
		}
	}
	code := m.Run()
	if realworld.dir != "" {
		os.RemoveAll(realworld.dir)
	}
	os.Exit(code)
}

// tool finds a client on PATH or in bin/tools (where `make tools` puts it).
// Off CI a missing client skips the test; on CI it fails it, so a broken
// install can never pass unnoticed.
func tool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(repoRoot, "bin", "tools", name); fileExists(p) {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed; CI must install it (run `make tools`)", name)
	}
	t.Skipf("%s is not installed; run `make tools`", name)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// run runs a command and returns its stdout, failing the test with stderr.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstderr:\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// copyDir copies a package to a temporary directory the test may change.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := fsutil.CopyTree(src, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
