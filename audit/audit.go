package audit

import (
	"fmt"
	"slices"
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
	CheckCrossPoolTolerations    = "crossPoolTolerations"
)

// Checks lists every check in the order results report them.
var Checks = []string{CheckWildcardTolerations, CheckPrivilegedTolerating, CheckPrivilegedOnSharedNodes,
	CheckPreferNoSchedule, CheckNoExecuteEviction, CheckManagedComponentsPool, CheckCrossPoolTolerations}

// Workload is one pod template as it will be after placement.
type Workload struct {
	Object *fn.KubeObject
	// Path is where the pod spec sits in the object.
	Path *field.Path
	Spec corev1.PodSpec
	// Acknowledgement of its privileges, from its pod template or the config.
	Acknowledgement Acknowledgement
	// Pool is the pool a selected workload is placed on, empty for an
	// unselected one. Spec is then the pod spec after placement.
	Pool string
	// TolerateOnly is set for a selected workload that tolerates its pool
	// but may run anywhere: it is audited on its pool as well.
	TolerateOnly bool
}

// Finding is one audit result. Object is nil for findings about the config.
type Finding struct {
	Check    string
	Severity config.Severity
	Object   *fn.KubeObject
	Field    string
	Message  string
	// Pool is the pool the finding is about, empty for none.
	Pool string
	// Acknowledged findings are info, whatever the check's severity.
	Acknowledged bool
}

// Auditor runs the checks of one config.
type Auditor struct {
	Severity   map[string]config.Severity
	Pools      []Pool
	SystemPool bool
	// Enforced is set with spec.enforcement, whose admission policy honours
	// privilege acknowledgements in PolicyNamespaces only.
	Enforced         bool
	PolicyNamespaces []string
}

// Pool is a dedicated pool and where the config defines it, which the
// findings about the pool itself point at.
type Pool struct {
	placement.Pool
	Path *field.Path
}

// NewAuditor takes the severities and the pools from a defaulted config.
func NewAuditor(cfg *config.WorkloadIsolation) *Auditor {
	a := &Auditor{Severity: cfg.Spec.Audit.Severities(), SystemPool: cfg.Spec.SystemNodePool != nil}
	if e := cfg.Spec.Enforcement; e != nil {
		a.Enforced, a.PolicyNamespaces = true, e.AcknowledgedNamespaces
	}
	for i, p := range placement.PoolsOf(cfg) {
		a.Pools = append(a.Pools, Pool{Pool: p, Path: cfg.Pools()[i].Path})
	}
	return a
}

// Run audits the workloads. It never changes them.
func (a *Auditor) Run(workloads []Workload) []Finding {
	var out []Finding
	add := func(check, pool string, obj *fn.KubeObject, path, msg string) {
		if s := a.Severity[check]; s != config.SeverityOff {
			out = append(out, Finding{Check: check, Severity: s, Object: obj, Field: path, Message: msg, Pool: pool})
		}
	}
	addPrivileged := func(check, pool string, w Workload, path, msg, advice string) {
		if f, ok := a.privilegedFinding(check, w, path, msg, advice); ok {
			f.Pool = pool
			out = append(out, f)
		}
	}
	all := make([]placement.Pool, len(a.Pools))
	for i, p := range a.Pools {
		all[i] = p.Pool
	}
	evicted := make([][]string, len(a.Pools))
	for _, w := range workloads {
		s := placement.Scheduling{Tolerations: w.Spec.Tolerations, Affinity: w.Spec.Affinity, NodeSelector: w.Spec.NodeSelector}
		privileges := Privileges(w.Spec, w.Path)
		for i, pool := range a.Pools {
			if w.Pool == pool.Name && !w.TolerateOnly {
				continue // placed there, and kept there
			}
			tolerating, tolIndex := tolerates(w.Spec.Tolerations, pool.Taints)
			// The other pools' nodes are not this pool's: a workload pinned
			// to one of them cannot land here.
			if !tolerating || !placement.CanLandOnPool(s, pool.Pool, slices.Delete(slices.Clone(all), i, i+1)...) {
				continue
			}
			toleration := w.Path.Child("tolerations").Index(tolIndex)
			switch {
			case len(privileges) > 0:
				addPrivileged(CheckPrivilegedTolerating, pool.Name, w, privileges[0].Field, fmt.Sprintf(
					"%s tolerates the taints of node pool %q and has elevated privileges (%s): a compromised isolated workload on that pool could take over this pod's node access and credentials",
					w.Object.GetKind(), pool.Name, Reasons(privileges)), fmt.Sprintf(
					"Drop the privileges, or narrow %s so it does not tolerate the pool's taints", toleration))
			case w.Pool != "" && w.Pool != pool.Name:
				add(CheckCrossPoolTolerations, pool.Name, w.Object, toleration.String(), fmt.Sprintf(
					"this %s is placed on node pool %q, but it tolerates the taints of node pool %q and its node affinity lets it run there, next to that pool's workloads. "+
						"Pin it to its pool with nodeAffinity %s, or narrow this toleration", w.Object.GetKind(), w.Pool, pool.Name, config.AffinityRequired))
			case w.Pool == "":
				add(CheckWildcardTolerations, pool.Name, w.Object, toleration.String(), fmt.Sprintf(
					"this toleration tolerates the taints of node pool %q, so this unselected %s can run on the dedicated nodes next to the isolated workloads. "+
						"Give it a key and value that do not match the pool's taints, or a required node affinity that keeps it off the pool",
					pool.Name, w.Object.GetKind()))
			}
		}
		if len(privileges) > 0 && (w.Pool == "" || w.TolerateOnly) && placement.CanLandOnShared(s, all...) {
			addPrivileged(CheckPrivilegedOnSharedNodes, "", w, privileges[0].Field, fmt.Sprintf(
				"this %s has elevated privileges (%s) and runs on shared nodes", w.Object.GetKind(), Reasons(privileges)),
				"Avoid elevated-privilege workloads there, or isolate it on a pool of its own")
		}
		for i, pool := range a.Pools {
			if w.Pool == "" && !toleratesNoExecute(w.Spec.Tolerations, pool.Taints) {
				evicted[i] = append(evicted[i], w.Object.GetKind()+"/"+w.Object.GetName())
			}
		}
	}
	for i, pool := range a.Pools {
		out = append(out, a.poolFindings(pool, evicted[i])...)
	}
	if !a.SystemPool {
		add(CheckManagedComponentsPool, "", nil, "spec.systemNodePool", fmt.Sprintf(
			"no systemNodePool is defined: reserve a pool for managed components with the taint %s, so system workloads do not share nodes with yours", SystemPoolTaintKey))
	}
	return out
}

// tolerates reports whether the tolerations tolerate every taint of the pool,
// as the scheduler decides it, and which toleration matches first.
func tolerates(tolerations []corev1.Toleration, taints []corev1.Taint) (bool, int) {
	if len(tolerations) == 0 {
		return false, 0
	}
	// A PreferNoSchedule taint keeps no pod off the pool, so, as for the
	// admission policy, tolerating the pool means tolerating its NoSchedule
	// and NoExecute taints.
	if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, tolerations, keepsPodsOff, false); untolerated {
		return false, 0
	}
	for i := range tolerations {
		for j := range taints {
			if tolerations[i].ToleratesTaint(klog.Background(), &taints[j], false) {
				return true, i
			}
		}
	}
	return true, 0
}

func keepsPodsOff(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

func toleratesNoExecute(tolerations []corev1.Toleration, taints []corev1.Taint) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), taints, tolerations,
		func(t *corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute }, false)
	return !untolerated
}

func (a *Auditor) poolFindings(pool Pool, evicted []string) []Finding {
	var out []Finding
	add := func(check, msg string) {
		if s := a.Severity[check]; s != config.SeverityOff {
			out = append(out, Finding{Check: check, Severity: s, Field: pool.Path.Child("taints").String(), Message: msg, Pool: pool.Name})
		}
	}
	onlyPrefer, hasNoExecute := true, false
	for _, t := range pool.Taints {
		onlyPrefer = onlyPrefer && t.Effect == corev1.TaintEffectPreferNoSchedule
		hasNoExecute = hasNoExecute || t.Effect == corev1.TaintEffectNoExecute
	}
	if onlyPrefer && len(pool.Taints) > 0 {
		add(CheckPreferNoSchedule, fmt.Sprintf(
			"node pool %q has only PreferNoSchedule taints, which the scheduler may ignore: other pods can still run on it. Use NoSchedule or NoExecute", pool.Name))
	}
	if hasNoExecute && len(evicted) > 0 {
		add(CheckNoExecuteEviction, fmt.Sprintf(
			"the NoExecute taint evicts running pods that do not tolerate it: if it is added to nodes that already run pods, %s would be evicted from them (%s)",
			text.Plural(len(evicted), "unselected workload"), abbreviate(evicted, 5)))
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
