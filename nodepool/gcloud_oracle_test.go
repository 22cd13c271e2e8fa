package nodepool

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/configtest"
)

// gcloudPath finds the real gcloud. Off CI a missing gcloud skips the
// oracle tests; on CI it fails them.
func gcloudPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("gcloud")
	if err == nil {
		return p
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("gcloud is not installed; the GKE on AWS oracle needs it")
	}
	t.Skip("gcloud is not installed")
	return ""
}

// capturedRequest is what gcloud sent to the fake GKE Multi-Cloud API.
type capturedRequest struct {
	path, poolID string
	body         map[string]any
}

// fakeMultiCloud answers like the GKE Multi-Cloud API: the create call with
// a finished operation, the follow-up GET with the pool.
func fakeMultiCloud(t *testing.T) (*httptest.Server, func() []capturedRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost {
			_, _ = io.WriteString(w, `{"name": "`+strings.TrimPrefix(r.URL.Path, "/v1/")+`"}`)
			return
		}
		data, _ := io.ReadAll(r.Body)
		req := capturedRequest{path: r.URL.Path, poolID: r.URL.Query().Get("awsNodePoolId")}
		if err := json.Unmarshal(data, &req.body); err != nil {
			t.Errorf("gcloud sent a body that is not JSON: %s", data)
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"name": "projects/p/locations/l/operations/op1", "done": true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []capturedRequest { mu.Lock(); defer mu.Unlock(); return append([]capturedRequest(nil), got...) }
}

// runGcloud runs a command line through a real shell, so the quoting of the
// emitted command is tested too, against the fake API with no credentials.
func runGcloud(t *testing.T, srv *httptest.Server, commandLine string) (string, error) {
	t.Helper()
	gcloud := gcloudPath(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte("test-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", commandLine)
	cmd.Env = append(os.Environ(),
		"PATH="+filepath.Dir(gcloud)+":"+os.Getenv("PATH"),
		"CLOUDSDK_CONFIG="+filepath.Join(dir, "gcloud"),
		"CLOUDSDK_API_ENDPOINT_OVERRIDES_GKEMULTICLOUD="+srv.URL+"/",
		"CLOUDSDK_AUTH_ACCESS_TOKEN_FILE="+token,
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

const gkeHeader = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: oracle
spec:
  selectors:
  - {}
`

var gcloudCases = map[string]string{
	"every-effect-several-labels-optional-flags": gkeHeader + `  nodePool:
    name: untrusted-pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    - {key: sandbox.example.com/gvisor, effect: NoSchedule}
    - {key: example.com/prefer, value: "yes", effect: PreferNoSchedule}
    labels:
      workloadType: untrusted
      sandbox.example.com/runtime: gvisor
      tier: "1"
    gkeOnAWS:
      project: my-project
      location: us-west1
      cluster: my-cluster
      nodeVersion: 1.30.5-gke.200
      subnetID: subnet-0123
      iamInstanceProfile: my-profile
      configEncryptionKMSKeyARN: arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab
      maxPodsPerNode: 64
      minNodes: 0
      maxNodes: 10
      instanceType: m5.large
      rootVolumeSizeGiB: 50
      securityGroupIDs: [sg-1, sg-2]
      tags: {Name: untrusted pool nodes, team: "a&b's"}
`,
	"minimal-one-taint": gkeHeader + `  nodePool:
    name: p1
    taints:
    - {key: dedicated, value: sandbox, effect: NoSchedule}
    labels: {dedicated: sandbox}
    gkeOnAWS:
      project: other-project
      location: europe-west1
      cluster: c-2
      nodeVersion: 1.31.1-gke.100
      subnetID: subnet-9
      iamInstanceProfile: prof
      configEncryptionKMSKeyARN: arn:aws:kms:eu-west-1:1:key/k
      maxPodsPerNode: 110
      minNodes: 1
      maxNodes: 1
`,
	"with-system-pool": gkeHeader + `  nodePool:
    name: untrusted
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    labels: {workloadType: untrusted}
    gkeOnAWS:
      project: my-project
      location: us-east4
      cluster: prod
      nodeVersion: 1.30.5-gke.200
      subnetID: subnet-1
      iamInstanceProfile: prof
      configEncryptionKMSKeyARN: arn:aws:kms:us-east-1:1:key/k
      maxPodsPerNode: 110
      minNodes: 1
      maxNodes: 3
  systemNodePool:
    name: system
`,
}

// TestGcloudOracle runs each emitted gcloud command with the real gcloud
// against a fake API, and asserts that the request gcloud builds is exactly
// the AwsNodePool body the function emits, for the same pool.
func TestGcloudOracle(t *testing.T) {
	gcloudPath(t)
	for name, text := range gcloudCases {
		t.Run(name, func(t *testing.T) {
			cfg := configtest.Load(t, text)
			emitted, err := Render(cfg, []string{config.TargetGKEOnAWS})
			if err != nil {
				t.Fatal(err)
			}
			if len(emitted) != len(Pools(cfg)) {
				t.Fatalf("emitted %d objects for %d pools", len(emitted), len(Pools(cfg)))
			}
			for _, e := range emitted {
				srv, captured := fakeMultiCloud(t)
				command := e.Object.GetAnnotation(GcloudCommandAnnotation)
				if out, err := runGcloud(t, srv, command+" --async"); err != nil {
					t.Fatalf("gcloud rejected the emitted command: %v\n%s\n%s", err, command, out)
				}
				reqs := captured()
				if len(reqs) != 1 {
					t.Fatalf("gcloud sent %d create requests, want 1", len(reqs))
				}
				req := reqs[0]
				g := cfg.Spec.NodePool.GKEOnAWS
				wantPath := "/v1/projects/" + g.Project + "/locations/" + g.Location + "/awsClusters/" + g.Cluster + "/awsNodePools"
				if req.path != wantPath {
					t.Errorf("path %s, want %s", req.path, wantPath)
				}
				if req.poolID != e.Pool {
					t.Errorf("awsNodePoolId=%s, want %s", req.poolID, e.Pool)
				}
				var spec map[string]any
				sub, _, _ := e.Object.NestedSubObject("spec")
				if err := json.Unmarshal([]byte(mustJSON(t, &sub)), &spec); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(spec, req.body) {
					t.Errorf("emitted spec and gcloud's request differ:\nemitted: %s\ngcloud:  %s", mustJSONValue(t, spec), mustJSONValue(t, req.body))
				}
			}
		})
	}
}

func mustJSON(t *testing.T, sub *fn.SubObject) string {
	t.Helper()
	var v map[string]any
	if err := sub.As(&v); err != nil {
		t.Fatal(err)
	}
	return mustJSONValue(t, v)
}

func mustJSONValue(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBadEffectRejectedFirst shows that a misspelt effect never reaches
// gcloud: the config is rejected with the field that holds it, where gcloud
// itself only names its flag.
func TestBadEffectRejectedFirst(t *testing.T) {
	text := strings.Replace(gcloudCases["minimal-one-taint"], "effect: NoSchedule", "effect: NoEvict", 1)
	obj, err := fn.ParseKubeObject([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	_, errs := config.Load(obj)
	if len(errs) != 1 || errs[0].Field != "spec.nodePool.taints[0].effect" ||
		!strings.Contains(errs[0].Error(), `"NoSchedule", "PreferNoSchedule", "NoExecute"`) {
		t.Fatalf("want one error at spec.nodePool.taints[0].effect listing the effects, got %v", errs)
	}

	srv, captured := fakeMultiCloud(t)
	out, err := runGcloud(t, srv, "gcloud container aws node-pools create p1 --cluster c --location l --node-version 1 "+
		"--subnet-id s --iam-instance-profile p --config-encryption-kms-key-arn k --max-pods-per-node 110 "+
		"--min-nodes 1 --max-nodes 1 --node-taints dedicated=sandbox:NoEvict --project p --async")
	if err == nil || !strings.Contains(out, "Effect must be one of") {
		t.Fatalf("gcloud accepted the bad effect (err %v):\n%s", err, out)
	}
	if len(captured()) != 0 {
		t.Error("gcloud sent a request despite the bad effect")
	}
}
