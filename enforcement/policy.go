package enforcement

import (
	"fmt"
	"slices"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/internal/typedyaml"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// PoolLabel marks a pod as an isolated workload of the pool named by its
// value. The function writes it on every isolated pod template; the policy
// holds such pods to the pool.
const PoolLabel = "isolate-workloads.dev/node-pool"

// The privilege acknowledgement a pod carries on its own metadata: the same
// decision the audit honours, written once.
const (
	AcknowledgedLabel            = audit.AcknowledgedLabel
	AcknowledgedReasonAnnotation = audit.AcknowledgedReasonAnnotation
)

// Name is the name of the policy and of its binding for a pool.
func Name(pool string) string { return "isolate-workloads-" + pool }

// The names of the policy's validations, which the messages also use.
const (
	RulePinned               = "pinned-to-pool"
	RulePrivilegedTolerating = "privileged-tolerating"
)

// Policy returns the ValidatingAdmissionPolicy of one pool of a defaulted
// config with spec.enforcement set.
func Policy(cfg *config.WorkloadIsolation, pool config.Pool) *admissionregistrationv1.ValidatingAdmissionPolicy {
	taints := pool.CoreTaints()
	guarded := guardedTaints(taints)
	labelled := labelEquals(PoolLabel, pool.Name)
	privilegeRule := "variables.labelled || !variables.toleratesPool || variables.acknowledged || size(variables.privileges) == 0"
	var otherPools []admissionregistrationv1.Variable
	if others := otherPoolNames(cfg, pool); len(others) > 0 {
		// The pods labelled for another pool of the config pass this pool's
		// privilege rule: that pool's policy pins them to its nodes, which
		// are not this pool's (validation keeps the pools' labels apart),
		// so tolerating this pool's taints takes them nowhere near it. The
		// audit decides the same way.
		otherPools = []admissionregistrationv1.Variable{{Name: "labelledForAnotherPool",
			Expression: fmt.Sprintf("object.metadata.?labels[?%s].orValue('') in %s", quote(PoolLabel), quoteList(others))}}
		privilegeRule = "variables.labelledForAnotherPool || " + privilegeRule
	}
	fail := admissionregistrationv1.Fail
	forbidden := metav1.StatusReasonForbidden
	return &admissionregistrationv1.ValidatingAdmissionPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicy"},
		ObjectMeta: objectMeta(pool.Name),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
						// Ephemeral containers are added through their own
						// subresource, as an UPDATE of the whole pod.
						Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods", "pods/ephemeralcontainers"}},
					},
				}},
			},
			// Most pods neither carry the pool label nor tolerate the pool:
			// this one cheap condition lets them through without evaluating
			// any variable.
			MatchConditions: []admissionregistrationv1.MatchCondition{{
				Name: "labelled-for-or-tolerating-pool",
				Expression: labelled + " ||\n" +
					"(has(object.spec.tolerations) &&\n" + toleratesEach("object.spec.tolerations", guarded) + ")",
			}},
			Variables: append([]admissionregistrationv1.Variable{
				{Name: "labelled", Expression: labelled},
				{Name: "tolerations", Expression: "object.spec.?tolerations.orValue([])"},
				{Name: "toleratesPool", Expression: toleratesEach("variables.tolerations", guarded)},
				{Name: "untoleratedTaints", Expression: untoleratedTaints(taints)},
				{Name: "requiredTerms", Expression: "object.spec.?affinity.?nodeAffinity.?requiredDuringSchedulingIgnoredDuringExecution.?nodeSelectorTerms.orValue([])"},
				{Name: "unpinnedLabels", Expression: unpinnedLabels(pool.Labels)},
				{Name: "acknowledgementLabelled", Expression: labelEquals(AcknowledgedLabel, "true")},
				{Name: "acknowledged", Expression: fmt.Sprintf("variables.acknowledgementLabelled &&\nobject.metadata.?annotations[?%s].orValue('') != '' &&\nrequest.namespace in %s",
					quote(AcknowledgedReasonAnnotation), quoteList(cfg.Spec.Enforcement.AcknowledgedNamespaces))},
				{Name: "privileges", Expression: privileges()},
			}, otherPools...),
			Validations: []admissionregistrationv1.Validation{
				{
					Expression: "!variables.labelled ||\n(size(variables.untoleratedTaints) == 0 && size(variables.unpinnedLabels) == 0)",
					Message:    fmt.Sprintf("[%s] this pod is labelled %s=%s but is not pinned to node pool %q", RulePinned, PoolLabel, pool.Name, pool.Name),
					MessageExpression: fmt.Sprintf("%s +\n", quote(fmt.Sprintf("[%s] this pod is labelled %s=%s, so it must run on node pool %q and only there, but ", RulePinned, PoolLabel, pool.Name, pool.Name))) +
						"(\n" +
						"  (size(variables.untoleratedTaints) > 0 ? ['it does not tolerate the taints ' + variables.untoleratedTaints.join(', ')] : []) +\n" +
						"  (size(variables.unpinnedLabels) > 0 ? ['no required node affinity (in every term) or nodeSelector pins it to the labels ' + variables.unpinnedLabels.join(', ')] : [])\n" +
						").join(' and ')",
					Reason: &forbidden,
				},
				{
					Expression: privilegeRule,
					Message:    fmt.Sprintf("[%s] this pod tolerates the taints of node pool %q and has elevated privileges", RulePrivilegedTolerating, pool.Name),
					MessageExpression: quote(fmt.Sprintf("[%s] this pod tolerates the taints of node pool %q and has elevated privileges (", RulePrivilegedTolerating, pool.Name)) +
						" + " + privilegeList + " + " +
						quote(fmt.Sprintf("): a compromised isolated workload on that pool could take over its node access. Drop the privileges or the tolerations of the pool's taints (%s)",
							taintList(guarded))) +
						" +\n" + acknowledgementHint(cfg.Spec.Enforcement.AcknowledgedNamespaces),
					Reason: &forbidden,
				},
			},
		},
	}
}

// maxPrivilegeText bounds the list of privileges in a message: the API
// server drops a messageExpression result over 5 KiB and falls back to the
// static message, which names none. A pod with 50 privileged containers
// would exceed it.
const maxPrivilegeText = 3000

// privilegeList is the privileges joined for the message, cut at
// maxPrivilegeText characters.
var privilegeList = fmt.Sprintf("(variables.privileges.join('; ').size() <= %d ? variables.privileges.join('; ') : "+
	"variables.privileges.join('; ').substring(0, %d) + '... (the list is cut)')", maxPrivilegeText, maxPrivilegeText)

// acknowledgementHint ends the privilege message: how a node agent that must
// run everywhere is exempted, or why this pod's acknowledgement did not count.
func acknowledgementHint(namespaces []string) string {
	if len(namespaces) == 0 {
		return "'.'"
	}
	how := fmt.Sprintf("; a node agent that must run on every node may be acknowledged in namespace %s with the label %s=true and a reason in the annotation %s",
		strings.Join(namespaces, ", "), AcknowledgedLabel, AcknowledgedReasonAnnotation)
	return fmt.Sprintf("(variables.acknowledgementLabelled ? %s : %s)",
		quote(fmt.Sprintf(" (its acknowledgement counts only in namespace %s and with a non-empty annotation %s)", strings.Join(namespaces, ", "), AcknowledgedReasonAnnotation)),
		quote(how))
}

func taintList(taints []corev1.Taint) string {
	s := make([]string, len(taints))
	for i, t := range taints {
		s[i] = taintString(t)
	}
	return strings.Join(s, ", ")
}

// otherPoolNames are the names of the config's pools but this one.
func otherPoolNames(cfg *config.WorkloadIsolation, pool config.Pool) []string {
	var out []string
	for _, p := range cfg.Pools() {
		if p.Name != pool.Name {
			out = append(out, p.Name)
		}
	}
	return out
}

// Binding returns the binding that applies the pool's policy cluster-wide
// with the config's validation actions.
func Binding(cfg *config.WorkloadIsolation, pool config.Pool) *admissionregistrationv1.ValidatingAdmissionPolicyBinding {
	name := Name(pool.Name)
	return &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: admissionregistrationv1.SchemeGroupVersion.String(), Kind: "ValidatingAdmissionPolicyBinding"},
		ObjectMeta: objectMeta(pool.Name),
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        name,
			ValidationActions: cfg.Spec.Enforcement.ValidationActions,
		},
	}
}

func objectMeta(pool string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: Name(pool), Labels: map[string]string{nodepool.ManagedByLabel: "isolate-workloads"}}
}

// Render returns the policy and the binding of one pool as KRM objects, or
// nothing when the config has no spec.enforcement. Each pool has its own.
func Render(cfg *config.WorkloadIsolation, pool config.Pool) (fn.KubeObjects, error) {
	if cfg.Spec.Enforcement == nil {
		return nil, nil
	}
	var out fn.KubeObjects
	for _, v := range []any{Policy(cfg, pool), Binding(cfg, pool)} {
		node, err := typedyaml.Encode(v)
		if err != nil {
			return nil, fmt.Errorf("rendering the admission policy of node pool %q: %w", pool.Name, err)
		}
		rn := yaml.NewRNode(node)
		// The typed objects carry an empty status, which is the API
		// server's to write.
		if err := rn.PipeE(yaml.Clear("status")); err != nil {
			return nil, err
		}
		orderFields(node)
		out = append(out, fn.MoveToKubeObject(rn))
	}
	return out, nil
}

// fieldOrder is the order people read a policy in: what it applies to,
// then what it computes, then what it decides. The API types would put
// validations first and failurePolicy in the middle.
var fieldOrder = []string{
	"apiVersion", "kind", "metadata", "spec", "name", "labels",
	"policyName", "validationActions", "failurePolicy", "matchConstraints", "matchConditions", "variables", "validations",
	"expression", "message", "messageExpression", "reason",
}

// orderFields sorts the keys of every map by fieldOrder (others keep their
// place after them), and writes expressions as literal blocks so the
// committed policy reads like CEL rather than one escaped string.
func orderFields(n *yaml.Node) {
	if n.Kind == yaml.MappingNode {
		type pair struct{ k, v *yaml.Node }
		pairs := make([]pair, 0, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			pairs = append(pairs, pair{n.Content[i], n.Content[i+1]})
		}
		rank := func(p pair) int {
			if i := slices.Index(fieldOrder, p.k.Value); i >= 0 {
				return i
			}
			return len(fieldOrder)
		}
		slices.SortStableFunc(pairs, func(a, b pair) int { return rank(a) - rank(b) })
		n.Content = n.Content[:0]
		for _, p := range pairs {
			if (p.k.Value == "expression" || p.k.Value == "messageExpression") && p.v.Kind == yaml.ScalarNode {
				p.v.Style = yaml.LiteralStyle
			}
			n.Content = append(n.Content, p.k, p.v)
		}
	}
	for _, c := range n.Content {
		orderFields(c)
	}
}
