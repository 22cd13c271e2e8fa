package nodepoolschema

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/configtest"
	"github.com/isolate-workloads/isolate-workloads/internal/testcluster"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// TestAPIServerJudgesEmittedObjects is the second schema oracle: a real
// kube-apiserver with the upstream CRDs installed. Every emitted object of
// every target must pass a server-side apply (dry run), and every row of
// schemaMistakes must be rejected, as the in-process validator rejects it.
func TestAPIServerJudgesEmittedObjects(t *testing.T) {
	c := testcluster.Start(t)
	for _, f := range schemaFiles {
		data, err := os.ReadFile(filepath.Join(schemaDir, f))
		if err != nil {
			t.Fatal(err)
		}
		c.InstallCRDs(t, data)
	}
	c.CreateNamespace(t, "infra")

	cfg := configtest.Load(t, allTargetsConfig)
	targets := []string{config.TargetKarpenter, config.TargetConfigConnector, config.TargetCrossplaneGKEOnAWS, config.TargetCAPA}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range emitted {
		t.Run("accepted/"+e.Target+"/"+e.Pool, func(t *testing.T) {
			if err := applyDryRun(c, e.Object.String()); err != nil {
				t.Errorf("the API server rejects the emitted object: %v\n%s", err, e.Object.String())
			}
		})
	}
	byTarget := poolObjectByTarget(emitted)
	for _, tc := range schemaMistakes {
		t.Run("rejected/"+tc.name, func(t *testing.T) {
			obj := byTarget[tc.target]
			broken := strings.Replace(obj, tc.from, tc.to, 1)
			if broken == obj {
				t.Fatalf("%q is not in the emitted object:\n%s", tc.from, obj)
			}
			err := applyDryRun(c, broken)
			// Server-side apply words an unknown field its own way.
			want := tc.wantError
			if want == "unknown field" {
				want = "field not declared in schema"
			}
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("want the API server to reject it naming %q, got %v", want, err)
			}
		})
	}
}

func applyDryRun(c *testcluster.Cluster, yaml string) error {
	objs, err := testcluster.Decode([]byte(yaml))
	if err != nil {
		return err
	}
	if len(objs) != 1 {
		return fmt.Errorf("want one object to apply, decoded %d (local config is not applied)", len(objs))
	}
	for _, o := range objs {
		if err := c.ApplyObject(context.Background(), o, true); err != nil {
			return err
		}
	}
	return nil
}
