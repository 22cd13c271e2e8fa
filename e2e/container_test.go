package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// image is the tag the examples name and `make image` builds.
const image = "ghcr.io/isolate-workloads/isolate-workloads:v0.1.0"

// maxImageBytes is the size budget of the image. It was 30 MiB for the
// function alone (19 MB); the image now also ships isolate-workloads-live
// (another 19 MB, client-go included), the live mode of verify kept out of
// the function so the function does not link client-go: 35.3 MB measured,
// with some room for growth.
const maxImageBytes = 38 << 20

var (
	imageOnce sync.Once
	imageErr  error
)

// containerEngine returns podman when it can run containers here, else a
// working docker. On CI a missing engine fails the test instead of skipping.
func containerEngine(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("podman"); err == nil {
		return p
	}
	if p, err := exec.LookPath("docker"); err == nil && exec.Command(p, "info").Run() == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no container engine: CI must install podman and runc")
	}
	t.Skip("no container engine (podman, or docker with a running daemon)")
	return ""
}

// buildImage runs `make image` once for all container tests.
func buildImage(t *testing.T, engine string) {
	t.Helper()
	imageOnce.Do(func() {
		cmd := exec.Command("make", "image", "CONTAINER_ENGINE="+engine)
		cmd.Dir = repoRoot
		out, err := cmd.CombinedOutput()
		if err != nil {
			imageErr = &buildError{err: err, out: string(out)}
		}
	})
	if imageErr != nil {
		t.Fatal(imageErr)
	}
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "make image: " + e.err.Error() + "\n" + e.out }

// runArgs are the `run` flags podman needs on these machines (cgroupfs, no
// systemd, the rlimits the sandbox allows); docker needs none.
func runArgs(engine string) []string {
	if filepath.Base(engine) != "podman" {
		return []string{"run"}
	}
	return []string{"--runtime", "/usr/sbin/runc", "--cgroup-manager=cgroupfs", "run",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"}
}

// TestKustomizeContainer runs real kustomize on the container example. With
// podman, a `docker` shim first on PATH stands in for the Docker CLI.
func TestKustomizeContainer(t *testing.T) {
	engine := containerEngine(t)
	kustomize := tool(t, "kustomize")
	buildImage(t, engine)
	cmd := exec.Command(kustomize, "build", "--enable-alpha-plugins", filepath.Join("examples", "kustomization"))
	cmd.Dir = repoRoot
	if filepath.Base(engine) == "podman" {
		cmd.Env = append(os.Environ(), "PATH="+filepath.Join(repoRoot, "e2e", "testdata", "podman-shim")+":"+os.Getenv("PATH"))
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize build: %v\n%s", err, stderrOf(err))
	}
	want := readFile(t, filepath.Join(repoRoot, "examples", "kustomization", "expected.yaml"))
	if string(out) != want {
		t.Errorf("container output differs from expected.yaml:\n%s", out)
	}
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestImageProperties checks the hardening the Dockerfile promises, on the
// built image itself.
func TestImageProperties(t *testing.T) {
	engine := containerEngine(t)
	buildImage(t, engine)

	var inspect []struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
			Labels     map[string]string
		}
	}
	if err := json.Unmarshal([]byte(run(t, repoRoot, engine, "image", "inspect", image)), &inspect); err != nil || len(inspect) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	img := inspect[0]
	if user := img.Config.User; user == "" || user == "0" || strings.HasPrefix(user, "0:") || user == "root" {
		t.Errorf("image runs as %q; want a non-root user", user)
	}
	if got := strings.Join(img.Config.Entrypoint, " "); got != "/usr/local/bin/isolate-workloads" {
		t.Errorf("entrypoint = %q", got)
	}
	if img.Size >= maxImageBytes {
		t.Errorf("image is %d bytes; budget %d", img.Size, maxImageBytes)
	}
	for _, label := range []string{"org.opencontainers.image.source", "org.opencontainers.image.version", "org.opencontainers.image.licenses"} {
		if img.Config.Labels[label] == "" {
			t.Errorf("missing label %s", label)
		}
	}

	// No shell: asking for one must fail.
	shell := exec.Command(engine, append(runArgs(engine), "--rm", "--network", "none", "--entrypoint", "/bin/sh", image, "-c", "true")...)
	if out, err := shell.CombinedOutput(); err == nil {
		t.Errorf("the image has a shell:\n%s", out)
	}

	// The function works with no network, a read-only root and kustomize's user.
	input := readFile(t, filepath.Join(repoRoot, "testdata", "golden", "cronjob", "resources.yaml"))
	rl := `apiVersion: config.kubernetes.io/v1
kind: ResourceList
functionConfig:
` +
		indent(readFile(t, filepath.Join(repoRoot, "testdata", "golden", "cronjob", "_fnconfig.yaml"))) +
		"items:\n- " + strings.ReplaceAll(strings.TrimSpace(input), "\n", "\n  ") + "\n"
	fnRun := exec.Command(engine, append(runArgs(engine), "-i", "--rm", "--network", "none", "--read-only", "--user", "nobody",
		"--security-opt=no-new-privileges", image)...)
	fnRun.Stdin = strings.NewReader(rl)
	out, err := fnRun.Output()
	if err != nil {
		t.Fatalf("running the function in the image: %v\n%s", err, stderrOf(err))
	}
	if !strings.Contains(string(out), "operator: Equal") || !strings.Contains(string(out), "isolated 1 of 1 selected workload") {
		t.Errorf("the containerized function did not isolate the CronJob:\n%s", out)
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// TestImageVerifyLive runs verify's live mode in the image, as
// examples/verify-job does: the function binary must find
// isolate-workloads-live next to it. Outside a Pod --in-cluster fails in the
// live binary's client-go loader, not on a missing binary.
func TestImageVerifyLive(t *testing.T) {
	engine := containerEngine(t)
	buildImage(t, engine)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "isolation.yaml"), []byte(readFile(t, filepath.Join(repoRoot, "examples", "verify-job", "isolation.yaml"))), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(engine, append(runArgs(engine), "--rm", "--network", "none", "--read-only", "--user", "nobody",
		"-v", dir+":/etc/isolate-workloads:ro", image, "verify", "--in-cluster", "--config", "/etc/isolate-workloads/isolation.yaml")...)
	out, err := cmd.Output()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 2 || len(out) != 0 || !strings.Contains(string(exit.Stderr), "--in-cluster: unable to load in-cluster configuration") {
		t.Errorf("verify --in-cluster in the image: %v, stdout %q, stderr %q; want exit 2 from the live binary", err, out, stderrOf(err))
	}
}
