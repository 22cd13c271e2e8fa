package workload

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// PodSpecPath says where a kind keeps its pod spec. It has the shape of a
// kustomize FieldSpec, so users can add kinds the same way they do there.
type PodSpecPath struct {
	Group   string `json:"group,omitempty" yaml:"group,omitempty"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	Kind    string `json:"kind" yaml:"kind"`
	// Path is slash-separated, e.g. "spec/template/spec".
	Path string `json:"path" yaml:"path"`
}

// Fields splits Path into its field names.
func (p PodSpecPath) Fields() []string {
	return strings.Split(strings.Trim(p.Path, "/"), "/")
}

// Builtin lists the core Kubernetes workload kinds. Adding a kind is adding a
// row. Rows match every version of their group, so manifests written for
// retired versions (apps/v1beta2, batch/v1beta1, extensions/v1beta1), still
// common in old repositories, are isolated and audited too.
var Builtin = []PodSpecPath{
	{Group: "", Kind: "Pod", Path: "spec"},
	{Group: "", Kind: "PodTemplate", Path: "template/spec"},
	{Group: "", Kind: "ReplicationController", Path: "spec/template/spec"},
	{Group: "apps", Kind: "ReplicaSet", Path: "spec/template/spec"},
	{Group: "apps", Kind: "Deployment", Path: "spec/template/spec"},
	{Group: "apps", Kind: "StatefulSet", Path: "spec/template/spec"},
	{Group: "apps", Kind: "DaemonSet", Path: "spec/template/spec"},
	{Group: "batch", Kind: "Job", Path: "spec/template/spec"},
	{Group: "batch", Kind: "CronJob", Path: "spec/jobTemplate/spec/template/spec"},
	{Group: "extensions", Kind: "ReplicaSet", Path: "spec/template/spec"},
	{Group: "extensions", Kind: "Deployment", Path: "spec/template/spec"},
	{Group: "extensions", Kind: "DaemonSet", Path: "spec/template/spec"},
}

// Table finds the pod spec path of a kind.
type Table struct {
	rows []PodSpecPath
}

// NewTable returns the builtin kinds plus the extra ones. Extra rows come
// first so a user can override where a builtin kind keeps its pod spec.
func NewTable(extra []PodSpecPath) *Table {
	rows := make([]PodSpecPath, 0, len(extra)+len(Builtin))
	rows = append(rows, extra...)
	rows = append(rows, Builtin...)
	return &Table{rows: rows}
}

// Lookup returns the pod spec path of the given apiVersion and kind. An empty
// Version in a row matches every version of its group.
func (t *Table) Lookup(gvk schema.GroupVersionKind) (PodSpecPath, bool) {
	for _, row := range t.rows {
		if row.Kind == gvk.Kind && row.Group == gvk.Group && (row.Version == "" || row.Version == gvk.Version) {
			return row, true
		}
	}
	return PodSpecPath{}, false
}

// String names the row as group/version/kind at path, for messages.
func (p PodSpecPath) String() string {
	gv := schema.GroupVersion{Group: p.Group, Version: p.Version}.String()
	return fmt.Sprintf("%s %s at %s", gv, p.Kind, p.Path)
}
