package transformer

import (
	"fmt"
	"slices"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/selection"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// acknowledgements carries spec.audit.acknowledge through a run: which
// workloads each entry matches, the acknowledgement the audit sees for
// every workload, and the label and annotation to write onto the pod
// templates of the matched ones, so the cluster's admission policy sees the
// same decision. Like every change, they are written only when the run
// succeeds.
type acknowledgements struct {
	entries  []config.Acknowledgement
	matchers []*selection.Matcher
	byObject map[*fn.KubeObject]audit.Acknowledgement
	marks    []mark
}

// mark is a planned write of the label and the reason onto one pod
// template's metadata.
type mark struct {
	workload *yaml.RNode
	metadata []string
	reason   string
}

func newAcknowledgements(cfg *config.WorkloadIsolation) *acknowledgements {
	a := &acknowledgements{entries: cfg.Spec.Audit.Acknowledge, byObject: map[*fn.KubeObject]audit.Acknowledgement{}}
	path := field.NewPath("spec", "audit", "acknowledge")
	for i, e := range a.entries {
		// The config was validated: the selectors compile.
		m, _ := selection.Compile([]selection.Selector{e.Selector}, nil, path.Index(i), nil)
		a.matchers = append(a.matchers, m)
	}
	return a
}

// of is the acknowledgement of a workload planned with acknowledge.
func (a *acknowledgements) of(obj *fn.KubeObject) audit.Acknowledgement {
	return a.byObject[obj]
}

// acknowledge decides the acknowledgement of a workload: the first config
// entry that matches it, else the label and reason on its pod template. For
// a config entry it plans the label and annotation, unless the pod template
// already carries them.
func (r *isolation) acknowledge(obj *fn.KubeObject, rn *yaml.RNode, row workload.PodSpecPath) {
	a := r.acks
	metaFields, hasTemplate := audit.TemplateMetadataFields(row.Fields())
	var labels, annotations map[string]string
	metaPath := "the pod template's metadata"
	if hasTemplate {
		labels = stringMap(rn, slices.Concat(metaFields, []string{"labels"}))
		annotations = stringMap(rn, slices.Concat(metaFields, []string{"annotations"}))
		metaPath = field.NewPath(metaFields[0], metaFields[1:]...).String()
	}
	i := a.firstMatch(resourceOf(obj))
	if i < 0 {
		a.byObject[obj] = audit.ReadAcknowledgement(labels, annotations, metaPath)
		return
	}
	reason := a.entries[i].Reason
	ack := audit.Acknowledgement{Labelled: true, Reason: reason, Source: fmt.Sprintf("spec.audit.acknowledge[%d]", i)}
	a.byObject[obj] = ack
	if !hasTemplate {
		r.results = append(r.results, objectResult(obj, fn.Warning, "", fmt.Sprintf(
			"%s acknowledges this %s, but its pod spec is not under a spec field with a sibling metadata, so the label %s cannot be written where its pods take their labels from",
			ack.Source, obj.GetKind(), audit.AcknowledgedLabel)))
		return
	}
	if labels[audit.AcknowledgedLabel] == audit.AcknowledgedLabelValue && annotations[audit.AcknowledgedReasonAnnotation] == reason {
		return
	}
	if bad := notAMap(rn, metaFields); bad != "" {
		r.fail(obj, field.Invalid(field.NewPath(bad), field.OmitValueType{}, fmt.Sprintf(
			"must be a map: %s acknowledges this %s, and the acknowledgement is written there", ack.Source, obj.GetKind())))
		return
	}
	a.marks = append(a.marks, mark{workload: rn, metadata: metaFields, reason: reason})
	r.changed = append(r.changed, objectResult(obj, fn.Info, metaPath, fmt.Sprintf(
		"privileges acknowledged by %s: wrote the label %s and the reason annotation %s onto the pod template (this changes the pod template, so the workload rolls out)",
		ack.Source, audit.AcknowledgedLabel, audit.AcknowledgedReasonAnnotation)))
}

// firstMatch is the index of the first entry that matches r, or -1.
func (a *acknowledgements) firstMatch(r selection.Resource) int {
	for i, m := range a.matchers {
		if m.Selected(r) {
			return i
		}
	}
	return -1
}

// apply writes the planned labels and annotations. acknowledge checked
// that every map on the way is a map or absent, so nothing can fail here.
func (a *acknowledgements) apply() {
	for _, m := range a.marks {
		meta := m.workload.YNode()
		for _, f := range m.metadata {
			meta = mapEntry(meta, f)
		}
		setString(mapEntry(meta, "labels"), audit.AcknowledgedLabel, audit.AcknowledgedLabelValue)
		setString(mapEntry(meta, "annotations"), audit.AcknowledgedReasonAnnotation, m.reason)
	}
}

// notAMap returns the path of the first of metadata, labels and
// annotations that is present but not a map, where the acknowledgement
// could not be written; "" when there is none.
func notAMap(rn *yaml.RNode, metaFields []string) string {
	metaPath := field.NewPath(metaFields[0], metaFields[1:]...)
	meta, err := rn.Pipe(yaml.Lookup(metaFields...))
	switch {
	case err != nil || meta == nil || yaml.IsYNodeEmptyDoc(meta.YNode()):
		return ""
	case meta.YNode().Kind != yaml.MappingNode:
		return metaPath.String()
	}
	for _, f := range []string{"labels", "annotations"} {
		if n := meta.Field(f); n != nil && n.Value.YNode().Kind != yaml.MappingNode && !yaml.IsYNodeEmptyDoc(n.Value.YNode()) {
			return metaPath.Child(f).String()
		}
	}
	return ""
}

// mapEntry returns the map under key in the map n, adding an empty one
// when the key is absent or null.
func mapEntry(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode {
				return v
			}
			n.Content[i+1] = &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
			return n.Content[i+1]
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, v)
	return v
}

// setString sets key to a string value in the map n, at the key's place
// when it is there.
func setString(n *yaml.Node, key, value string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			// A new node: the old one may be shared through an alias.
			n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: value}
			return
		}
	}
	n.Content = append(n.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: value})
}

// stringMap reads a map of strings (labels, annotations) at fields; a
// missing map, or one of another shape, reads as empty.
func stringMap(rn *yaml.RNode, fields []string) map[string]string {
	n, err := rn.Pipe(yaml.Lookup(fields...))
	if err != nil || n == nil || n.YNode().Kind != yaml.MappingNode {
		return nil
	}
	out := map[string]string{}
	content := n.YNode().Content
	for i := 0; i+1 < len(content); i += 2 {
		if content[i+1].Kind == yaml.ScalarNode {
			out[content[i].Value] = content[i+1].Value
		}
	}
	return out
}
