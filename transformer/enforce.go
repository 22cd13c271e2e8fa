package transformer

import (
	"fmt"
	"slices"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/enforcement"
	"github.com/isolate-workloads/isolate-workloads/internal/text"
	"github.com/isolate-workloads/isolate-workloads/internal/yamlnode"
	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// planEnforcement adds the admission policy and its binding, with
// spec.enforcement, upserted like the node-pool objects.
func (e *emission) planEnforcement(items fn.KubeObjects, cfg *config.WorkloadIsolation) error {
	if cfg.Spec.Enforcement == nil {
		return nil
	}
	for _, pool := range cfg.Pools() {
		objs, err := enforcement.Render(cfg, pool)
		if err != nil {
			return err
		}
		for _, obj := range objs {
			outcome, err := e.upsert(items, obj)
			if err != nil {
				return fmt.Errorf("updating %s with the rendered admission policy: %w", obj.ShortString(), err)
			}
			res := fn.ConfigObjectResult(outcome.say(fmt.Sprintf("the admission policy of node pool %q as %s %s", pool.Name, obj.GetAPIVersion(), obj.GetKind())), obj, fn.Info)
			res.File = nil
			e.results = append(e.results, res)
		}
	}
	return nil
}

// placementOptions are the config's, except for a DaemonSet under
// enforcement: the DaemonSet controller replaces the required node affinity
// of each pod it creates with a term that names the pod's node
// (metadata.name), so only a nodeSelector keeps the pool's labels on the pod
// where the admission policy can see them.
func (r *isolation) placementOptions(obj *fn.KubeObject, p config.Placement) placement.Options {
	opts := placement.OptionsOf(p)
	if r.cfg.Spec.Enforcement != nil && obj.GetKind() == "DaemonSet" && p.Pins() {
		opts.NodeSelector = true
	}
	return opts
}

// poolLabel is a planned pool label on the metadata of a pod template.
type poolLabel struct {
	object   *yaml.RNode
	metadata []string
	pool     string
	// remove takes the label off instead.
	remove bool
}

// planPoolLabel plans the label `isolate-workloads.dev/node-pool: <pool>` on
// the pod template of a selected workload, with spec.enforcement: the pods'
// own labels come from there, and the policy holds pods with the label to
// the pool. The label goes on the template only, never into spec.selector,
// which is immutable for most kinds.
//
//	spec:                             spec:
//	  template:                         template:
//	    metadata:                         metadata:
//	      labels: {app: web}      =>        labels: {app: web, isolate-workloads.dev/node-pool: untrusted}
//	    spec: ...                         spec: ...
func (r *isolation) planPoolLabel(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath, path *field.Path, pool string) {
	if r.cfg.Spec.Enforcement == nil {
		return
	}
	fields := row.Fields()
	// The pod's metadata is the sibling of its spec: metadata for a Pod,
	// spec/template/metadata for a Deployment.
	if fields[len(fields)-1] != "spec" {
		r.results = append(r.results, objectResult(obj, fn.Warning, path.String(), fmt.Sprintf(
			"not labelled %s=%s: the pod spec path does not end in spec, so where its pods' labels come from is unknown; the admission policy will not hold these pods to the pool",
			enforcement.PoolLabel, pool)))
		return
	}
	metadata := append(append([]string{}, fields[:len(fields)-1]...), "metadata")
	labelsPath := field.NewPath(metadata[0], metadata[1:]...).Child("labels")
	// Check the shape now, so that writing the label cannot fail once the
	// run has started changing items.
	for _, p := range [][]string{metadata, append(metadata, "labels")} {
		if n, _ := rn.Pipe(yaml.Lookup(p...)); !yaml.IsMissingOrNull(n) && n.YNode().Kind != yaml.MappingNode {
			r.fail(obj, field.TypeInvalid(field.NewPath(p[0], p[1:]...), field.OmitValueType{},
				fmt.Sprintf("must be a map to carry the label %s", enforcement.PoolLabel)))
			return
		}
	}
	if v, _ := rn.Pipe(yaml.Lookup(append(metadata, "labels", enforcement.PoolLabel)...)); v != nil && yaml.GetValue(v) == pool {
		return
	}
	r.poolLabels = append(r.poolLabels, poolLabel{object: rn, metadata: metadata, pool: pool})
	r.changed = append(r.changed, objectResult(obj, fn.Info, labelsPath.Key(enforcement.PoolLabel).String(),
		fmt.Sprintf("labelled the pod template %s=%s, which the admission policy of the pool enforces", enforcement.PoolLabel, pool)))
}

// planPoolLabelRemoval plans taking the pool label off the pod template of a
// workload whose placement only tolerates its pool, with spec.enforcement:
// a label left from when it was pinned would make the policy require a
// pinning it no longer has, and deny its pods.
func (r *isolation) planPoolLabelRemoval(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath) {
	if r.cfg.Spec.Enforcement == nil {
		return
	}
	metadata, ok := audit.TemplateMetadataFields(row.Fields())
	if !ok {
		return
	}
	v, _ := rn.Pipe(yaml.Lookup(append(metadata, "labels", enforcement.PoolLabel)...))
	if v == nil {
		return
	}
	labelsPath := field.NewPath(metadata[0], metadata[1:]...).Child("labels")
	r.poolLabels = append(r.poolLabels, poolLabel{object: rn, metadata: metadata, remove: true})
	r.changed = append(r.changed, objectResult(obj, fn.Info, labelsPath.Key(enforcement.PoolLabel).String(), fmt.Sprintf(
		"removed the label %s=%s from the pod template: its selector only tolerates the pool (nodeAffinity %s), and the admission policy would require pods with the label to be pinned",
		enforcement.PoolLabel, yaml.GetValue(v), config.AffinityNone)))
}

// poolLabelSummary counts the labelled pod templates for the summary: a
// workload that was isolated already may still get the label.
func (r *isolation) poolLabelSummary() string {
	labelled, removed := 0, 0
	for _, l := range r.poolLabels {
		if l.remove {
			removed++
		} else {
			labelled++
		}
	}
	var out string
	if labelled > 0 {
		out += fmt.Sprintf("; labelled %s for the admission policy", text.Plural(labelled, "pod template"))
	}
	if removed > 0 {
		out += fmt.Sprintf("; took the pool label off %s with a tolerate-only placement", text.Plural(removed, "pod template"))
	}
	return out
}

// applyPoolLabels writes the planned labels. planPoolLabel checked that
// the metadata and its labels are maps where they exist.
func (r *isolation) applyPoolLabels() {
	for _, l := range r.poolLabels {
		labels := l.object.YNode()
		for _, name := range append(l.metadata, "labels") {
			labels = mapField(labels, name)
		}
		if l.remove {
			for i := 0; i+1 < len(labels.Content); i += 2 {
				if labels.Content[i].Value == enforcement.PoolLabel {
					labels.Content = slices.Delete(labels.Content, i, i+2)
					break
				}
			}
			continue
		}
		value := yaml.NewStringRNode(l.pool).YNode()
		// A pool named yes or on is a string that YAML 1.1 readers would
		// take for a bool.
		if yaml.IsYaml1_1NonString(value) {
			value.Style = yaml.DoubleQuotedStyle
		}
		if v := yamlnode.Value(labels, enforcement.PoolLabel); v != nil {
			*v = *value
		} else {
			labels.Content = append(labels.Content, yaml.NewStringRNode(enforcement.PoolLabel).YNode(), value)
		}
	}
}

// mapField returns the map under name in m, created when absent.
func mapField(m *yaml.Node, name string) *yaml.Node {
	if v := yamlnode.Value(m, name); v != nil && v.Kind == yaml.MappingNode {
		return v
	} else if v != nil {
		// null: the key is there without a value.
		*v = yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
		return v
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	m.Content = append(m.Content, yaml.NewStringRNode(name).YNode(), v)
	return v
}
