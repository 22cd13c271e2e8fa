package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

// The keys of the ConfigMap shortcut (`kpt fn eval ... -- key=value`).
const (
	CMNodePool        = "nodePool"
	CMTaints          = "taints"
	CMLabels          = "labels"
	CMNodeAffinity    = "nodeAffinity"
	CMPreferredWeight = "preferredWeight"
	CMNodeSelector    = "nodeSelector"
	CMKinds           = "kinds"
	CMNamespace       = "namespace"
	CMLabelSelector   = "labelSelector"
	// CMAuditPrefix starts a check's severity key: audit.privilegedTolerating=warning.
	CMAuditPrefix = "audit."
)

var configMapKeys = []string{CMNodePool, CMTaints, CMLabels, CMNodeAffinity, CMPreferredWeight,
	CMNodeSelector, CMKinds, CMNamespace, CMLabelSelector, CMAuditPrefix + "<check>"}

// configMapKeyList is every key the shortcut accepts, audit keys spelt out.
func configMapKeyList() []string {
	out := slices.Clone(configMapKeys[:len(configMapKeys)-1])
	for _, c := range auditChecks {
		if !c.multiPool {
			out = append(out, CMAuditPrefix+c.name)
		}
	}
	return out
}

// configMapFields says which key of the shortcut sets which config field, so
// that a validation error names the key the user wrote. The longest
// matching prefix wins.
var configMapFields = []struct{ prefix, key string }{
	{"spec.nodePool.name", CMNodePool},
	{"spec.nodePool.taints", CMTaints},
	{"spec.nodePool.labels", CMLabels},
	{"spec.placement.nodeAffinity", CMNodeAffinity},
	{"spec.placement.preferredWeight", CMPreferredWeight},
	{"spec.placement.nodeSelector", CMNodeSelector},
	{"spec.selectors", CMKinds},
}

func configMapKeyOf(path string) string {
	if check, ok := strings.CutPrefix(path, "spec.audit."); ok {
		return CMAuditPrefix + check
	}
	switch {
	case strings.HasSuffix(path, ".namespace") && strings.HasPrefix(path, "spec.selectors"):
		return CMNamespace
	case strings.HasSuffix(path, ".labelSelector") && strings.HasPrefix(path, "spec.selectors"):
		return CMLabelSelector
	}
	for _, f := range configMapFields {
		if strings.HasPrefix(path, f.prefix) {
			return f.key
		}
	}
	return ""
}

// loadConfigMap reads the shortcut and validates the config it makes, every
// problem at once, each reported at the key that set the field.
func loadConfigMap(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	w, errs := fromConfigMap(obj)
	if w == nil {
		return nil, errs
	}
	w.Default()
	data := field.NewPath("data")
	failed := map[string]bool{}
	for _, e := range errs {
		failed[e.Field] = true
	}
	seen := map[string]bool{}
	for _, e := range w.Validate() {
		if key := configMapKeyOf(e.Field); key != "" {
			e.Field = data.Key(key).String()
		}
		// The shortcut makes one selector per kind: their errors repeat.
		if id := e.Error(); !failed[e.Field] && !seen[id] {
			seen[id] = true
			errs = append(errs, e)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return w, nil
}

// fromConfigMap turns the imperative shortcut into a WorkloadIsolation.
func fromConfigMap(obj *fn.KubeObject) (*WorkloadIsolation, field.ErrorList) {
	data := field.NewPath("data")
	values, _, err := obj.NestedStringMap("data")
	if err != nil {
		return nil, field.ErrorList{decodeError(data, "must map keys to strings: "+err.Error())}
	}
	var errs field.ErrorList
	known := configMapKeyList()
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !slices.Contains(known, k) {
			errs = append(errs, field.NotSupported(data.Key(k), k, known))
		}
	}
	if len(values) == 0 {
		errs = append(errs, field.Required(data, "no config given; expected "+ExpectedKinds))
		return nil, errs
	}

	w := &WorkloadIsolation{}
	w.APIVersion, w.Kind = APIVersion, Kind
	w.Metadata.Name = obj.GetName()
	w.Spec.NodePool = &NodePool{Name: values[CMNodePool]}

	if s, ok := values[CMTaints]; ok {
		taints, err := ParseTaints(s)
		if err != nil {
			errs = append(errs, field.Invalid(data.Key(CMTaints), s, err.Error()))
		}
		w.Spec.NodePool.Taints = taints
	}
	if s, ok := values[CMLabels]; ok {
		set, err := labels.ConvertSelectorToLabelsMap(s)
		if err != nil {
			errs = append(errs, field.Invalid(data.Key(CMLabels), s, "want k=v,k2=v2: "+err.Error()))
		}
		w.Spec.NodePool.Labels = set
	}
	w.Spec.Placement.NodeAffinity = AffinityMode(values[CMNodeAffinity])
	if s, ok := values[CMPreferredWeight]; ok {
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			errs = append(errs, field.Invalid(data.Key(CMPreferredWeight), s, "must be a whole number"))
		}
		weight := int32(n)
		w.Spec.Placement.PreferredWeight = &weight
	}
	if s, ok := values[CMNodeSelector]; ok {
		b, err := strconv.ParseBool(s)
		if err != nil {
			errs = append(errs, field.Invalid(data.Key(CMNodeSelector), s, "must be true or false"))
		}
		w.Spec.Placement.NodeSelector = b
	}

	sel, ok := selectorFromConfigMap(values)
	if !ok {
		errs = append(errs, field.Required(data.Key(CMKinds),
			fmt.Sprintf("say what to isolate with at least one of %s, %s or %s", CMKinds, CMNamespace, CMLabelSelector)))
	}
	for _, s := range sel {
		w.Spec.Selectors = append(w.Spec.Selectors, Selector{Selector: s})
	}
	for _, check := range AuditChecks() {
		if s, ok := values[CMAuditPrefix+check]; ok {
			*w.Spec.Audit.severityOf(check) = Severity(s)
		}
	}
	return w, errs
}

// selectorFromConfigMap makes one selector per kind, each restricted by the
// namespace and label selector, because a ConfigMap has no lists.
func selectorFromConfigMap(values map[string]string) ([]selection.Selector, bool) {
	base := selection.Selector{LabelSelector: values[CMLabelSelector]}
	if ns, ok := values[CMNamespace]; ok {
		base.Namespace = &ns
	}
	var kinds []string
	for _, k := range strings.Split(values[CMKinds], ",") {
		if k = strings.TrimSpace(k); k != "" {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) == 0 {
		if base.Namespace == nil && base.LabelSelector == "" {
			return nil, false
		}
		return []selection.Selector{base}, true
	}
	out := make([]selection.Selector, 0, len(kinds))
	for _, k := range kinds {
		s := base
		s.Kind = k
		out = append(out, s)
	}
	return out, true
}

// ParseTaints reads gcloud's --node-taints syntax: key=value:Effect, comma
// separated. The value may be empty (key=:Effect or key:Effect).
func ParseTaints(s string) ([]Taint, error) {
	var out []Taint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		// Neither a key nor a value may hold a ':', so the last one starts the effect.
		i := strings.LastIndex(part, ":")
		if i < 0 || i == len(part)-1 {
			return out, fmt.Errorf("taint %q has no effect; want key=value:Effect", part)
		}
		key, value, _ := strings.Cut(part[:i], "=")
		effect := part[i+1:]
		out = append(out, Taint{Key: key, Value: value, Effect: corev1.TaintEffect(effect)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no taint given; want key=value:Effect")
	}
	return out, nil
}
