package testcluster

import (
	"context"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

const (
	// DirEnv overrides where the control-plane binaries are.
	DirEnv = "ISOLATE_WORKLOADS_CONTROLPLANE_DIR"
	// binDir is where hack/controlplane.sh puts them, relative to the module
	// root; the versions in the name match the script's.
	binDir = "bin/tools/controlplane-k8s-v1.37.2-etcd-v3.7.3"
	// startTimeout bounds each component's start; a cold start takes about 5 s.
	startTimeout = 90 * time.Second
)

var binaries = []string{"etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager"}

// Cluster is a running control plane. Its processes stop when the test that
// started it ends.
type Cluster struct {
	// Kubeconfig is the path of a kubeconfig with cluster-admin rights.
	Kubeconfig string
	// Config and Client are the admin's client configuration and clientset.
	Config *rest.Config
	Client kubernetes.Interface

	t      testing.TB
	dir    string // certificates, kubeconfigs, logs, etcd data
	server string
	ca     *certAuthority
	serial int64 // of the last certificate issued
	procs  []*process

	mapperOnce sync.Once
	dynamic    dynamic.Interface
	dynamicErr error
	mapper     *restmapper.DeferredDiscoveryRESTMapper
}

// Start starts etcd, kube-apiserver, kube-scheduler and
// kube-controller-manager on 127.0.0.1 with free ports, and waits until the
// API server is ready and the controllers have created the default
// ServiceAccount. Everything stops in t.Cleanup.
func Start(t testing.TB) *Cluster {
	t.Helper()
	bins := findBinaries(t)
	dir, err := os.MkdirTemp("", "testcluster-")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cluster{t: t, dir: dir, serial: 10}
	t.Cleanup(c.stop)
	if err := c.start(bins); err != nil {
		t.Fatalf("starting the control plane: %v", err)
	}
	return c
}

// findBinaries returns the folder holding the four binaries: $DirEnv, or the
// folder `make controlplane` fills in the module root.
func findBinaries(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(DirEnv)
	if dir == "" {
		root, err := moduleRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, binDir)
	}
	for _, b := range binaries {
		if info, err := os.Stat(filepath.Join(dir, b)); err != nil || info.IsDir() {
			msg := fmt.Sprintf("control-plane binary %s is missing in %s; run `make controlplane` (builds once, about 15-18 minutes) or set %s", b, dir, DirEnv)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return dir
}

// modulePath is the main module: the oracles module, nested in the
// repository, has a go.mod of its own, and its tests use the same binaries.
const modulePath = "github.com/isolate-workloads/isolate-workloads"

// moduleRoot walks up from the working directory (a test runs in its
// package's folder) to the folder holding the main module's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declaresModule(data, modulePath) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of module %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// declaresModule reports whether a go.mod's module directive names path.
func declaresModule(gomod []byte, path string) bool {
	for line := range strings.Lines(string(gomod)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(name), `"`) == path
		}
	}
	return false
}

func (c *Cluster) start(bins string) error {
	if err := c.writePKI(); err != nil {
		return err
	}
	ports, err := freePorts(5)
	if err != nil {
		return err
	}
	etcdURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	if err := c.run(bins, "etcd",
		"--name=testcluster",
		"--data-dir="+c.path("etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=testcluster="+peerURL,
		// Test data need not survive a power cut; fsync would dominate the run time.
		"--unsafe-no-fsync",
		"--log-level=warn",
	); err != nil {
		return err
	}
	if err := c.waitUntil("etcd", func(ctx context.Context) error { return httpOK(ctx, http.DefaultClient, etcdURL+"/health") }); err != nil {
		return err
	}

	c.server = fmt.Sprintf("https://127.0.0.1:%d", ports[2])
	if err := c.run(bins, "kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[2]),
		"--cert-dir="+c.path("apiserver-certs"),
		"--tls-cert-file="+c.path("serving.crt"), "--tls-private-key-file="+c.path("serving.key"),
		"--client-ca-file="+c.path("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+c.path("sa.pub"), "--service-account-signing-key-file="+c.path("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		"--authorization-mode=RBAC",
		// The endpoint reconciler refuses a loopback advertise address.
		"--endpoint-reconciler-type=none",
		// Audited DaemonSets in the examples are privileged.
		"--allow-privileged=true",
		// Without a kubelet no node ever clears the not-ready taint this
		// plugin puts on new nodes.
		"--disable-admission-plugins=TaintNodesByCondition",
		"--profiling=false",
	); err != nil {
		return err
	}
	if err := c.writeKubeconfig(c.path("admin.kubeconfig"), "admin", []string{"system:masters"}); err != nil {
		return err
	}
	c.Kubeconfig = c.path("admin.kubeconfig")
	if c.Config, err = clientcmd.BuildConfigFromFlags("", c.Kubeconfig); err != nil {
		return err
	}
	c.Config.QPS, c.Config.Burst = 200, 400
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}
	if err := c.waitUntil("kube-apiserver", func(ctx context.Context) error {
		_, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err
	}); err != nil {
		return err
	}

	// The components are admins: RBAC is exercised by the tests' own
	// ServiceAccounts, not by the control plane's bootstrap roles.
	for _, comp := range []string{"kube-scheduler", "kube-controller-manager"} {
		if err := c.writeKubeconfig(c.path(comp+".kubeconfig"), "system:"+comp, []string{"system:masters"}); err != nil {
			return err
		}
	}
	if err := c.run(bins, "kube-scheduler",
		"--kubeconfig="+c.path("kube-scheduler.kubeconfig"),
		"--leader-elect=false",
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[3]),
	); err != nil {
		return err
	}
	if err := c.run(bins, "kube-controller-manager",
		"--kubeconfig="+c.path("kube-controller-manager.kubeconfig"),
		"--leader-elect=false",
		"--bind-address=127.0.0.1", fmt.Sprintf("--secure-port=%d", ports[4]),
		// Nodes have no kubelet to renew their heartbeat, so the node
		// lifecycle controller would mark every node unknown after ~50 s.
		"--controllers=*,-node-lifecycle-controller",
		"--service-account-private-key-file="+c.path("sa.key"),
		"--root-ca-file="+c.path("ca.crt"),
	); err != nil {
		return err
	}
	// The ServiceAccount controller creates "default" in every namespace;
	// pods cannot be created before it exists.
	return c.waitUntil("kube-controller-manager", func(ctx context.Context) error {
		_, err := c.Client.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	})
}

func (c *Cluster) path(name string) string { return filepath.Join(c.dir, name) }

func (c *Cluster) writePKI() error {
	ca, err := newCA()
	if err != nil {
		return err
	}
	c.ca = ca
	serving, err := ca.issue(2, pkix.Name{CommonName: "kube-apiserver"}, true)
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{"ca.crt": ca.pem, "serving.crt": serving.cert, "serving.key": serving.key} {
		if err := writeFile(c.path(name), data); err != nil {
			return err
		}
	}
	return writeServiceAccountKeys(c.dir)
}

// writeKubeconfig writes a kubeconfig whose client certificate names user
// and groups.
func (c *Cluster) writeKubeconfig(path, user string, groups []string) error {
	c.serial++
	kp, err := c.ca.issue(c.serial, pkix.Name{CommonName: user, Organization: groups}, false)
	if err != nil {
		return err
	}
	return c.writeKubeconfigAuth(path, &clientcmdapi.AuthInfo{ClientCertificateData: kp.cert, ClientKeyData: kp.key})
}

func (c *Cluster) writeKubeconfigAuth(path string, auth *clientcmdapi.AuthInfo) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["testcluster"] = &clientcmdapi.Cluster{Server: c.server, CertificateAuthorityData: c.ca.pem}
	cfg.AuthInfos["user"] = auth
	cfg.Contexts["testcluster"] = &clientcmdapi.Context{Cluster: "testcluster", AuthInfo: "user"}
	cfg.CurrentContext = "testcluster"
	return clientcmd.WriteToFile(*cfg, path)
}

// KubeconfigForToken writes a kubeconfig that authenticates with a bearer
// token (a ServiceAccount's, from the TokenRequest API) and returns its path.
func (c *Cluster) KubeconfigForToken(t testing.TB, name, token string) string {
	t.Helper()
	path := c.path(name + ".kubeconfig")
	if err := c.writeKubeconfigAuth(path, &clientcmdapi.AuthInfo{Token: token}); err != nil {
		t.Fatal(err)
	}
	return path
}

// Server is the API server's URL.
func (c *Cluster) Server() string { return c.server }

// process is one component the cluster started.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func (c *Cluster) run(bins, name string, args ...string) error {
	logPath := c.path(name + ".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bins, name), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Dir = c.dir
	// If the test binary dies without running its cleanups (a panic or
	// the -timeout), the kernel kills the component too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return nil
}

// waitUntil polls ready until it succeeds, failing early when a component
// has exited.
func (c *Cluster) waitUntil(what string, ready func(context.Context) error) error {
	deadline := time.Now().Add(startTimeout)
	var last error
	for time.Now().Before(deadline) {
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%v) while waiting for %s; its log:\n%s", p.name, p.err, what, tail(p.log, 40))
			default:
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready after %s: %v", what, startTimeout, last)
}

// stop ends the processes this cluster started, newest first. The folder
// goes too, unless the test failed: then the logs stay and their tails go
// to the test log.
func (c *Cluster) stop() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if !c.t.Failed() {
		os.RemoveAll(c.dir)
		return
	}
	os.RemoveAll(c.path("etcd-data"))
	for _, p := range c.procs {
		c.t.Logf("--- last lines of %s (%s):\n%s", p.name, p.log, tail(p.log, 20))
	}
	c.t.Logf("the control plane's logs and kubeconfigs are kept in %s", c.dir)
}

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts asks the kernel for n free ports on 127.0.0.1. They are free
// when this returns; a component that loses the race fails to start and
// says so in its log.
func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func httpOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return nil
}

// dynamicClient returns the dynamic client and a discovery-backed mapper,
// made on first use.
func (c *Cluster) dynamicClient() (dynamic.Interface, *restmapper.DeferredDiscoveryRESTMapper, error) {
	c.mapperOnce.Do(func() {
		c.dynamic, c.dynamicErr = dynamic.NewForConfig(c.Config)
		c.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.Client.Discovery()))
	})
	return c.dynamic, c.mapper, c.dynamicErr
}
