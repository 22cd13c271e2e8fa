package audit

import (
	"fmt"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/klog/v2"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/text"
	"github.com/isolate-workloads/isolate-workloads/placement"
)

// The check names: stable, used in config keys and in result tags.
const (
	CheckWildcardTolerations     = "wildcardTolerations"
	CheckPrivilegedTolerating    = "privilegedTolerating"
	CheckPrivilegedOnSharedNodes = "privilegedOnSharedNodes"
	CheckPreferNoSchedule        = "preferNoSchedule"
	CheckNoExecuteEviction       = "noExecuteEviction"
	CheckManagedComponentsPool   = "managedComponentsPool"
)

// Checks lists every check in the order results report them.
var Checks = []string{CheckWildcardTolerations, CheckPrivilegedTolerating, CheckPrivilegedOnSharedNodes,
	CheckPreferNoSchedule, CheckNoExecuteEviction, CheckManagedComponentsPool}

// Workload is one pod template as it will be after placement.
type Workload struct {
	Object *fn.KubeObject
	// Path is where the pod spec sits in the object.
	Path     *field.Path
	Spec     corev1.PodSpec
	Selected bool
	// Acknowledgement of its privileges, from its pod template or the config.
	Acknowledgement Acknowledgement
}

// Finding is one audit result. Object is nil for findings about the config.
type Finding struct {
	Check    string
	Severity config.Severity
	Object   *fn.KubeObject
	Field    string
	Message  string
	// Acknowledged findings are info, whatever the check's severity.
	Acknowledged bool
}

// Auditor runs the checks of one config.
type Auditor struct {
	Severity   map[string]config.Severity
	Pool       placement.Pool
	SystemPool bool
}

// NewAuditor takes the severities and the pool from a defaulted config.
func NewAuditor(cfg *config.WorkloadIsolation, pool placement.Pool) *Auditor {
	return &Auditor{
		Severity:   cfg.Spec.Audit.Severities(),
		Pool:       pool,
		SystemPool: cfg.Spec.SystemNodePool != nil,
	}
}

// Run audits the workloads. It never changes them.
func (a *Auditor) Run(workloads []Workload) []Finding {
	var out []Finding
	add := func(check string, obj *fn.KubeObject, path, msg string) {
		if s := a.Severity[check]; s != config.SeverityOff {
			out = append(out, Finding{Check: check, Severity: s, Object: obj, Field: path, Message: msg})
		}
	}
	addPrivileged := func(check string, w Workload, path, msg, advice string) {
		if f, ok := a.privilegedFinding(check, w, path, msg, advice); ok {
			out = append(out, f)
		}
	}
	var evicted []string
	for _, w := range workloads {
		if w.Selected {
			continue
		}
		s := placement.Scheduling{Tolerations: w.Spec.Tolerations, Affinity: w.Spec.Affinity, NodeSelector: w.Spec.NodeSelector}
		privileges := Privileges(w.Spec, w.Path)
		tolerating, tolIndex := a.tolerates(w.Spec.Tolerations)
		landsOnPool := tolerating && placement.CanLandOnPool(s, a.Pool)
		switch {
		case landsOnPool && len(privileges) > 0:
			addPrivileged(CheckPrivilegedTolerating, w, privileges[0].Field, fmt.Sprintf(
				"%s tolerates the taints of node pool %q and has elevated privileges (%s): a compromised isolated workload on that pool could take over this pod's node access and credentials",
				w.Object.GetKind(), a.Pool.Name, Reasons(privileges)), fmt.Sprintf(
				"Drop the privileges, or narrow %s so it does not tolerate the pool's taints", w.Path.Child("tolerations").Index(tolIndex)))
		case landsOnPool:
			add(CheckWildcardTolerations, w.Object, w.Path.Child("tolerations").Index(tolIndex).String(), fmt.Sprintf(
				"this toleration tolerates the taints of node pool %q, so this unselected %s can run on the dedicated nodes next to the isolated workloads. "+
					"Give it a key and value that do not match the pool's taints, or a required node affinity that keeps it off the pool",
				a.Pool.Name, w.Object.GetKind()))
		}
		if len(privileges) > 0 && placement.CanLandOnShared(s, a.Pool) {
			addPrivileged(CheckPrivilegedOnSharedNodes, w, privileges[0].Field, fmt.Sprintf(
				"this %s has elevated privileges (%s) and runs on shared nodes", w.Object.GetKind(), Reasons(privileges)),
				"Avoid elevated-privilege workloads there, or isolate it on a pool of its own")
		}
		if !a.toleratesNoExecute(w.Spec.Tolerations) {
			evicted = append(evicted, w.Object.GetKind()+"/"+w.Object.GetName())
		}
	}
	out = append(out, a.poolFindings(evicted)...)
	return out
}

// tolerates reports whether the tolerations tolerate every taint of the pool,
// as the scheduler decides it, and which toleration matches first.
func (a *Auditor) tolerates(tolerations []corev1.Toleration) (bool, int) {
	if len(tolerations) == 0 {
		return false, 0
	}
	// A PreferNoSchedule taint keeps no pod off the pool, so, as for the
	// admission policy, tolerating the pool means tolerating its NoSchedule
	// and NoExecute taints.
	if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), a.Pool.Taints, tolerations, keepsPodsOff, false); untolerated {
		return false, 0
	}
	for i := range tolerations {
		for j := range a.Pool.Taints {
			if tolerations[i].ToleratesTaint(klog.Background(), &a.Pool.Taints[j], false) {
				return true, i
			}
		}
	}
	return true, 0
}

func keepsPodsOff(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

func (a *Auditor) toleratesNoExecute(tolerations []corev1.Toleration) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), a.Pool.Taints, tolerations,
		func(t *corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute }, false)
	return !untolerated
}

func (a *Auditor) poolFindings(evicted []string) []Finding {
	var out []Finding
	add := func(check, path, msg string) {
		if s := a.Severity[check]; s != config.SeverityOff {
			out = append(out, Finding{Check: check, Severity: s, Field: path, Message: msg})
		}
	}
	onlyPrefer, hasNoExecute := true, false
	for _, t := range a.Pool.Taints {
		onlyPrefer = onlyPrefer && t.Effect == corev1.TaintEffectPreferNoSchedule
		hasNoExecute = hasNoExecute || t.Effect == corev1.TaintEffectNoExecute
	}
	if onlyPrefer && len(a.Pool.Taints) > 0 {
		add(CheckPreferNoSchedule, "spec.nodePool.taints", fmt.Sprintf(
			"node pool %q has only PreferNoSchedule taints, which the scheduler may ignore: other pods can still run on it. Use NoSchedule or NoExecute", a.Pool.Name))
	}
	if hasNoExecute && len(evicted) > 0 {
		add(CheckNoExecuteEviction, "spec.nodePool.taints", fmt.Sprintf(
			"the NoExecute taint evicts running pods that do not tolerate it: if it is added to nodes that already run pods, %s would be evicted from them (%s)",
			text.Plural(len(evicted), "unselected workload"), abbreviate(evicted, 5)))
	}
	if !a.SystemPool {
		add(CheckManagedComponentsPool, "spec.systemNodePool", fmt.Sprintf(
			"no systemNodePool is defined: reserve a pool for managed components with the taint %s, so system workloads do not share nodes with yours", SystemPoolTaintKey))
	}
	return out
}

// SystemPoolTaintKey is the taint GKE uses to reserve nodes for managed components.
const SystemPoolTaintKey = config.SystemPoolTaintKey

func abbreviate(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}
