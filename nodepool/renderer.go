package nodepool

import (
	"fmt"
	"slices"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
)

// Renderer turns a node pool into one provider's object. The config's
// validation has checked that the target can represent the pool.
type Renderer interface {
	// Render returns the object that creates the pool.
	Render(p config.NodePool) (any, error)
}

// renderers is the table of targets; adding one is adding a row.
var renderers = map[string]Renderer{
	config.TargetGKEOnAWS:           gkeOnAWS{},
	config.TargetKarpenter:          karpenter{},
	config.TargetConfigConnector:    configConnector{},
	config.TargetCrossplaneGKEOnAWS: crossplane{},
	config.TargetCAPA:               capa{},
}

// Pools returns the pools a config creates: the dedicated ones, and the
// system pool when there is one, which takes the provider blocks (and so
// the targets) of the first pool that emits any.
func Pools(cfg *config.WorkloadIsolation) []Pool {
	var pools []Pool
	for _, p := range cfg.Pools() {
		pools = append(pools, Pool{NodePool: p.NodePool, Path: p.Path})
	}
	if s := cfg.Spec.SystemNodePool; s != nil && len(pools) > 0 {
		pools = append(pools, Pool{NodePool: s.NodePool(pools[cfg.SystemPoolBase()].NodePool), Path: field.NewPath("spec", "systemNodePool")})
	}
	return pools
}

// Pool is one pool to emit and where the config defines it.
type Pool struct {
	config.NodePool
	Path *field.Path
}

// Emitted is one rendered object and the target it is for.
type Emitted struct {
	Target string
	Pool   string
	Object *fn.KubeObject
}

// Render renders every pool, in target order: for each pool, the given
// targets, or its own when targets is nil.
func Render(cfg *config.WorkloadIsolation, targets []string) ([]Emitted, error) {
	var out []Emitted
	for _, t := range config.Targets {
		for _, p := range Pools(cfg) {
			want := targets
			if want == nil {
				want = p.EmittedTargets()
			}
			if !slices.Contains(want, t) {
				continue
			}
			v, err := renderers[t].Render(p.NodePool)
			if err != nil {
				return nil, fmt.Errorf("rendering %s for pool %q: %w", t, p.Name, err)
			}
			obj, err := toKubeObject(v)
			if err != nil {
				return nil, fmt.Errorf("rendering %s for pool %q: %w", t, p.Name, err)
			}
			out = append(out, Emitted{Target: t, Pool: p.Name, Object: obj})
		}
	}
	return out, nil
}

func toKubeObject(v any) (*fn.KubeObject, error) {
	node, err := typedyaml.Encode(v)
	if err != nil {
		return nil, err
	}
	return fn.MoveToKubeObject(yaml.NewRNode(node)), nil
}

// objectMeta is the metadata of an emitted object.
type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ManagedByLabel marks the objects the function emits.
const ManagedByLabel = "app.kubernetes.io/managed-by"

func meta(name, namespace string) objectMeta {
	return objectMeta{Name: name, Namespace: namespace, Labels: map[string]string{ManagedByLabel: "isolate-workloads"}}
}
