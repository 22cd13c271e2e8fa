package nodepoolschema

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/configtest"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
	"github.com/isolate-workloads/isolate-workloads/oracles/crdschema"
)

// schemaDir holds the upstream CRDs, unmodified (see
// testdata/schemas/PROVENANCE.md). A test runs in its package's folder, two
// below the repository root.
var schemaDir = filepath.Join("..", "..", "testdata", "schemas")

// The CRDs of the node-pool formats, in schemaDir.
var schemaFiles = []string{
	"karpenter.sh_nodepools.yaml",
	"container.cnrm.cloud.google.com_containernodepools.yaml",
	"containeraws.gcp.upbound.io_nodepools.yaml",
	"infrastructure.cluster.x-k8s.io_awsmanagedmachinepools.yaml",
}

var (
	schemasOnce sync.Once
	schemas     map[string]*crdschema.Schema
	schemasErr  error
)

// schemaFor returns the CRD schema of an apiVersion and kind.
func schemaFor(t *testing.T, apiVersion, kind string) *crdschema.Schema {
	t.Helper()
	schemasOnce.Do(func() {
		schemas = map[string]*crdschema.Schema{}
		for _, f := range schemaFiles {
			s, err := crdschema.Load(filepath.Join(schemaDir, f))
			if err != nil {
				schemasErr = err
				return
			}
			schemas[s.APIVersion()+" "+s.Kind] = s
		}
	})
	if schemasErr != nil {
		t.Fatal(schemasErr)
	}
	s, ok := schemas[apiVersion+" "+kind]
	if !ok {
		t.Fatalf("no upstream CRD for %s %s: the renderer emits an apiVersion the provider does not serve", apiVersion, kind)
	}
	return s
}

const allTargetsConfig = `apiVersion: fn.kpt.dev/v1alpha1
kind: WorkloadIsolation
metadata:
  name: schemas
spec:
  selectors:
  - {}
  systemNodePool:
    name: system-pool
  nodePool:
    name: untrusted-pool
    taints:
    - {key: workloadType, value: untrusted, effect: NoExecute}
    - {key: sandbox.example.com/gvisor, value: "true", effect: NoSchedule}
    - {key: example.com/soft, value: "yes", effect: PreferNoSchedule}
    labels:
      workloadType: untrusted
      sandbox.example.com/runtime: gvisor
    karpenter:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
      - {key: karpenter.sh/capacity-type, operator: In, values: [on-demand, spot], minValues: 1}
      weight: 10
    configConnector:
      namespace: infra
      clusterRef: {name: my-cluster}
      location: us-east1-c
      nodeCount: 1
      machineType: e2-standard-4
      version: 1.30.5-gke.200
      autoscaling: {min: 1, max: 5}
    crossplane:
      location: us-west1
      cluster: projects/my-project/locations/us-west1/awsClusters/my-cluster
      nodeVersion: 1.30.5-gke.200
      subnetID: subnet-0123
      iamInstanceProfile: my-profile
      configEncryptionKMSKeyARN: arn:aws:kms:us-west-2:111122223333:key/1234abcd
      maxPodsPerNode: 110
      minNodes: 1
      maxNodes: 3
      instanceType: m5.large
      rootVolumeSizeGiB: 50
      securityGroupIDs: [sg-1]
      tags: {team: sandbox}
      providerConfigName: default
    capa:
      namespace: infra
      eksNodegroupName: untrusted
      instanceType: m5.large
      scaling: {min: 1, max: 3}
      subnetIDs: [subnet-1, subnet-2]
`

// TestEmittedObjectsMatchUpstreamSchemas validates every emitted Kubernetes
// object, for the pool and the system pool, against its provider's CRD.
func TestEmittedObjectsMatchUpstreamSchemas(t *testing.T) {
	cfg := configtest.Load(t, allTargetsConfig)
	targets := []string{config.TargetKarpenter, config.TargetConfigConnector, config.TargetCrossplaneGKEOnAWS, config.TargetCAPA}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		t.Fatal(err)
	}
	if len(emitted) != 2*len(targets) {
		t.Fatalf("emitted %d objects, want %d", len(emitted), 2*len(targets))
	}
	for _, e := range emitted {
		t.Run(e.Target+"/"+e.Pool, func(t *testing.T) {
			schema := schemaFor(t, e.Object.GetAPIVersion(), e.Object.GetKind())
			if errs := schema.Validate([]byte(e.Object.String())); len(errs) > 0 {
				t.Errorf("%s does not validate against the upstream CRD:\n%v\n%s", e.Target, errs.ToAggregate(), e.Object.String())
			}
		})
	}
}

// TestGoogleEffectSpelling covers the schemas that have no effect enum:
// Config Connector and Crossplane take the Google API spelling.
func TestGoogleEffectSpelling(t *testing.T) {
	cfg := configtest.Load(t, allTargetsConfig)
	emitted, err := nodepool.Render(cfg, []string{config.TargetConfigConnector, config.TargetCrossplaneGKEOnAWS})
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string][]string{
		config.TargetConfigConnector:    {"spec", "nodeConfig", "taint"},
		config.TargetCrossplaneGKEOnAWS: {"spec", "forProvider", "config", "taints"},
	}
	for _, e := range emitted {
		taints, _, err := e.Object.NestedSlice(paths[e.Target]...)
		if err != nil || len(taints) == 0 {
			t.Fatalf("%s: no taints at %v (%v)", e.Target, paths[e.Target], err)
		}
		for _, taint := range taints {
			if effect := taint.GetString("effect"); effect != "NO_SCHEDULE" && effect != "NO_EXECUTE" && effect != "PREFER_NO_SCHEDULE" {
				t.Errorf("%s spells an effect %q; the API takes NO_SCHEDULE, PREFER_NO_SCHEDULE or NO_EXECUTE", e.Target, effect)
			}
		}
	}
}

// schemaMistakes are emitted objects with one mistake a renderer could make:
// replace from with to in the object of target, and the schema must reject
// it with an error naming wantError. Both oracles, the in-process validator
// and the API server, run this table.
var schemaMistakes = []struct {
	name, target, from, to, wantError string
}{
	{"karpenter-misspelt-taints", config.TargetKarpenter, "      taints:", "      taint:", "unknown field"},
	{"karpenter-wrong-effect-spelling", config.TargetKarpenter, "effect: NoExecute", "effect: NO_EXECUTE", "Unsupported value"},
	{"karpenter-restricted-label", config.TargetKarpenter, "        workloadType: untrusted", "        karpenter.sh/team: x", "karpenter.sh"},
	{"capa-kubernetes-effect-spelling", config.TargetCAPA, "effect: no-execute", "effect: NoExecute", "Unsupported value"},
	{"config-connector-misspelt-taint", config.TargetConfigConnector, "    taint:", "    taints:", "unknown field"},
	{"crossplane-missing-subnet", config.TargetCrossplaneGKEOnAWS, "    subnetId: subnet-0123\n", "", "subnetId"},
}

// poolObjectByTarget returns the emitted object of the pool (not the system
// pool) of each target, as YAML: what schemaMistakes edits.
func poolObjectByTarget(emitted []nodepool.Emitted) map[string]string {
	byTarget := map[string]string{}
	for _, e := range emitted {
		if e.Pool == "untrusted-pool" {
			byTarget[e.Target] = e.Object.String()
		}
	}
	return byTarget
}

// TestSchemaValidatorCatchesMistakes proves the oracle can fail: each row is
// an emitted object with one mistake a renderer could make.
func TestSchemaValidatorCatchesMistakes(t *testing.T) {
	cfg := configtest.Load(t, allTargetsConfig)
	emitted, err := nodepool.Render(cfg, []string{config.TargetKarpenter, config.TargetCrossplaneGKEOnAWS, config.TargetCAPA, config.TargetConfigConnector})
	if err != nil {
		t.Fatal(err)
	}
	byTarget := poolObjectByTarget(emitted)
	for _, tc := range schemaMistakes {
		t.Run(tc.name, func(t *testing.T) {
			obj := byTarget[tc.target]
			broken := strings.Replace(obj, tc.from, tc.to, 1)
			if broken == obj {
				t.Fatalf("%q is not in the emitted object:\n%s", tc.from, obj)
			}
			apiVersion, kind := apiVersionKind(broken)
			errs := schemaFor(t, apiVersion, kind).Validate([]byte(broken))
			if len(errs) == 0 || !strings.Contains(errs.ToAggregate().Error(), tc.wantError) {
				t.Errorf("want an error naming %q, got %v", tc.wantError, errs)
			}
		})
	}
}

func apiVersionKind(obj string) (string, string) {
	var apiVersion, kind string
	for _, line := range strings.Split(obj, "\n") {
		if v, ok := strings.CutPrefix(line, "apiVersion: "); ok {
			apiVersion = v
		}
		if v, ok := strings.CutPrefix(line, "kind: "); ok {
			kind = v
		}
	}
	return apiVersion, kind
}
