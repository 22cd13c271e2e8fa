package verify

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/placement"
)

// The finding names: stable, for scripts that read the JSON output.
const (
	IsolatedPodOnSharedNode   = "isolated-pod-on-shared-node"
	ForeignPodOnDedicatedNode = "foreign-pod-on-dedicated-node"
	DedicatedNodeMissingTaint = "dedicated-node-missing-taint"
	IsolatedPodPending        = "isolated-pod-pending"
	TolerantDaemonOnDedicated = "daemonset-pod-on-dedicated-node"
	SeverityViolation         = "violation"
	SeverityWarning           = "warning"
	verdictOK                 = "ok"
)

// Finding is one problem, about a pod or a node.
type Finding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	// Pool is the pool the finding is about: the node's, or the one the
	// pod is isolated to.
	Pool      string `json:"pool"`
	Namespace string `json:"namespace,omitempty"`
	Pod       string `json:"pod,omitempty"`
	Node      string `json:"node,omitempty"`
	Reason    string `json:"reason"`
}

// PodRow is one line of the table.
type PodRow struct {
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Node      string `json:"node"`
	Pool      string `json:"pool"`
	Isolated  bool   `json:"isolated"`
	Verdict   string `json:"verdict"`
}

// Summary counts what was checked.
type Summary struct {
	Pods           int `json:"pods"`
	IsolatedPods   int `json:"isolatedPods"`
	DedicatedNodes int `json:"dedicatedNodes"`
	Violations     int `json:"violations"`
	Warnings       int `json:"warnings"`
}

// Report is the whole answer.
type Report struct {
	// Pool names the pool of a one-pool config, or every pool, joined by
	// commas; Pools lists them.
	Pool     string    `json:"pool"`
	Pools    []string  `json:"pools"`
	Summary  Summary   `json:"summary"`
	Findings []Finding `json:"findings"`
	Pods     []PodRow  `json:"pods"`
}

// Clean reports whether nothing violates the isolation.
func (r *Report) Clean() bool { return r.Summary.Violations == 0 }

// Verify checks the state against the pools: each node belongs to the
// first pool whose labels it carries, each pod to the pool it is isolated
// to, if any, and each must be where the other says.
func Verify(pools []placement.Pool, state *ClusterState) *Report {
	r := &Report{Findings: []Finding{}}
	selectors := make([]*nodeaffinity.LazyErrorNodeSelector, len(pools))
	for i, pool := range pools {
		r.Pools = append(r.Pools, pool.Name)
		selectors[i] = nodeaffinity.NewLazyErrorNodeSelector(&corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: placement.Requirements(pool.Labels)}},
		})
	}
	r.Pool = strings.Join(r.Pools, ",")
	// nodePool maps a dedicated node to its pool.
	nodePool := map[string]*placement.Pool{}
	for i := range state.Nodes {
		node := &state.Nodes[i]
		for j := range pools {
			if ok, _ := selectors[j].Match(node); !ok {
				continue
			}
			pool := &pools[j]
			nodePool[node.Name] = pool
			r.Summary.DedicatedNodes++
			if missing := missingTaints(pool.Taints, node.Spec.Taints); len(missing) > 0 {
				r.add(Finding{Check: DedicatedNodeMissingTaint, Severity: SeverityViolation, Pool: pool.Name, Node: node.Name,
					Reason: fmt.Sprintf("node carries the labels of pool %q but not its taint %s; other pods can be scheduled on it", pool.Name, strings.Join(missing, ", "))})
			}
			break
		}
	}
	for i := range state.Pods {
		pod := &state.Pods[i]
		home := isolatedTo(pod, pools)
		row := PodRow{Namespace: pod.Namespace, Pod: pod.Name, Node: pod.Spec.NodeName, Pool: "-", Isolated: home != nil, Verdict: verdictOK}
		if row.Node == "" {
			row.Node = "<none>"
		}
		on := nodePool[pod.Spec.NodeName]
		if on != nil {
			row.Pool = on.Name
		}
		r.Summary.Pods++
		if row.Isolated {
			r.Summary.IsolatedPods++
		}
		if f, ok := podFinding(pod, home, on, row); ok {
			r.add(f)
			row.Verdict = f.Severity + ": " + f.Check
		}
		r.Pods = append(r.Pods, row)
	}
	sort.SliceStable(r.Pods, func(i, j int) bool { return verdictRank(r.Pods[i].Verdict) < verdictRank(r.Pods[j].Verdict) })
	sort.SliceStable(r.Findings, func(i, j int) bool {
		return r.Findings[i].Severity == SeverityViolation && r.Findings[j].Severity != SeverityViolation
	})
	return r
}

func (r *Report) add(f Finding) {
	r.Findings = append(r.Findings, f)
	if f.Severity == SeverityViolation {
		r.Summary.Violations++
	} else {
		r.Summary.Warnings++
	}
}

func verdictRank(v string) int {
	switch {
	case strings.HasPrefix(v, SeverityViolation):
		return 0
	case strings.HasPrefix(v, SeverityWarning):
		return 1
	}
	return 2
}

// isolatedTo is the pool whose isolation the pod spec carries, nil for
// none: tolerations for every pool taint, and a required affinity that fits
// a node of the pool and no node outside it. Both are decided by the
// scheduler's own code.
func isolatedTo(pod *corev1.Pod, pools []placement.Pool) *placement.Pool {
	s := placement.Scheduling{Tolerations: pod.Spec.Tolerations, Affinity: pod.Spec.Affinity, NodeSelector: pod.Spec.NodeSelector}
	for i := range pools {
		if _, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), pools[i].Taints, pod.Spec.Tolerations, nil, false); untolerated {
			continue
		}
		if placement.CanLandOnPool(s, pools[i]) && !placement.CanLandOnShared(s, pools[i]) {
			return &pools[i]
		}
	}
	return nil
}

// podFinding checks a pod isolated to home (nil: not isolated) on a node of
// pool on (nil: a shared node).
func podFinding(pod *corev1.Pod, home, on *placement.Pool, row PodRow) (Finding, bool) {
	f := Finding{Namespace: pod.Namespace, Pod: pod.Name, Node: row.Node}
	switch {
	case home != nil && pod.Spec.NodeName == "":
		f.Check, f.Severity, f.Pool = IsolatedPodPending, SeverityWarning, home.Name
		f.Reason = "isolated pod is not scheduled"
		if why := unschedulableReason(pod); why != "" {
			f.Reason += ": " + why
		}
		f.Reason += fmt.Sprintf("; check that pool %q exists, has capacity and carries its labels", home.Name)
		return f, true
	case home != nil && on == nil:
		f.Check, f.Severity, f.Pool = IsolatedPodOnSharedNode, SeverityViolation, home.Name
		f.Reason = fmt.Sprintf("isolated pod runs on a node without the labels of pool %q", home.Name)
		return f, true
	case home != nil && on.Name != home.Name:
		f.Check, f.Severity, f.Pool = ForeignPodOnDedicatedNode, SeverityViolation, on.Name
		f.Reason = fmt.Sprintf("pod is isolated to pool %q but runs on a node of pool %q", home.Name, on.Name)
		return f, true
	case home == nil && on != nil:
		f.Pool = on.Name
		if kind := nodeLevelOwner(pod); kind != "" && tolerates(pod, *on) {
			f.Check, f.Severity = TolerantDaemonOnDedicated, SeverityWarning
			f.Reason = fmt.Sprintf("%s pod tolerates the taints of pool %q and runs on its node", kind, on.Name)
			if ps := audit.Privileges(pod.Spec, field.NewPath("spec")); len(ps) > 0 {
				f.Reason += " with elevated privileges (" + audit.Reasons(ps) + "): an escalation path from the isolated pods"
			}
			return f, true
		}
		f.Check, f.Severity = ForeignPodOnDedicatedNode, SeverityViolation
		f.Reason = fmt.Sprintf("pod is not isolated but runs on a node of pool %q", on.Name)
		return f, true
	}
	return Finding{}, false
}

func tolerates(pod *corev1.Pod, pool placement.Pool) bool {
	_, untolerated := corev1helpers.FindMatchingUntoleratedTaint(klog.Background(), pool.Taints, pod.Spec.Tolerations,
		func(t *corev1.Taint) bool { return t.Effect != corev1.TaintEffectPreferNoSchedule }, false)
	return !untolerated
}

// nodeLevelOwner names what runs a pod on every node: a DaemonSet, or the
// kubelet itself for a static pod.
func nodeLevelOwner(pod *corev1.Pod) string {
	for _, o := range pod.OwnerReferences {
		if o.Kind == "DaemonSet" {
			return "DaemonSet " + o.Name
		}
		if o.Kind == "Node" {
			return "static"
		}
	}
	return ""
}

func unschedulableReason(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			if c.Reason == "" {
				return c.Message
			}
			return strings.TrimSuffix(c.Reason+": "+c.Message, ": ")
		}
	}
	return ""
}

// missingTaints lists the pool taints the node lacks, key, value and effect.
func missingTaints(want, have []corev1.Taint) []string {
	var missing []string
	for i := range want {
		found := false
		for j := range have {
			if want[i].MatchTaint(&have[j]) && want[i].Value == have[j].Value {
				found = true
			}
		}
		if !found {
			missing = append(missing, want[i].ToString())
		}
	}
	return missing
}
