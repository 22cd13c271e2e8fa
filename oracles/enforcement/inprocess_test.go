package enforcement_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/isolate-workloads/isolate-workloads/audit"
	"github.com/isolate-workloads/isolate-workloads/enforcement"
	"github.com/isolate-workloads/isolate-workloads/internal/policytest"
)

// inProcessPolicy evaluates the policy with the admission plugin's own
// compiler and validator, as compilePolicy in k8s.io/apiserver's validating
// plugin assembles them, but without the Pod schema (the object is untyped).
// It is a fast check for every run; the API server tests are the oracle.
type inProcessPolicy struct {
	validator validating.Validator
}

func newInProcessPolicy(t testing.TB, policy *admissionregistrationv1.ValidatingAdmissionPolicy) *inProcessPolicy {
	t.Helper()
	compiler, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	vars := plugincel.OptionalVariableDeclarations{HasAuthorizer: true}
	var variables []plugincel.NamedExpressionAccessor
	for i := range policy.Spec.Variables {
		variables = append(variables, &validating.Variable{Name: policy.Spec.Variables[i].Name, Expression: policy.Spec.Variables[i].Expression})
	}
	compiler.CompileAndStoreVariables(variables, vars, environment.StoredExpressions)
	var conditions []plugincel.ExpressionAccessor
	for i := range policy.Spec.MatchConditions {
		conditions = append(conditions, (*matchconditions.MatchCondition)(&policy.Spec.MatchConditions[i]))
	}
	var validations, messages []plugincel.ExpressionAccessor
	for _, v := range policy.Spec.Validations {
		validations = append(validations, &validating.ValidationCondition{Expression: v.Expression, Message: v.Message, Reason: v.Reason})
		messages = append(messages, &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression})
	}
	matcher := matchconditions.NewMatcher(compiler.CompileCondition(conditions, vars, environment.StoredExpressions), policy.Spec.FailurePolicy, "policy", "validate", policy.Name)
	return &inProcessPolicy{validator: validating.NewValidator(
		compiler.CompileCondition(validations, vars, environment.StoredExpressions),
		matcher,
		compiler.CompileCondition(nil, vars, environment.StoredExpressions),
		compiler.CompileCondition(messages, plugincel.OptionalVariableDeclarations{}, environment.StoredExpressions),
		policy.Spec.FailurePolicy, nil)}
}

// decide returns the messages of the failed validations of a pod created
// in namespace ns, or an evaluation error.
func (p *inProcessPolicy) decide(t testing.TB, ns string, pod *corev1.Pod) ([]string, error) {
	t.Helper()
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(pod)
	if err != nil {
		t.Fatal(err)
	}
	obj := &unstructured.Unstructured{Object: u}
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	gvr := corev1.SchemeGroupVersion.WithResource("pods")
	attrs := admission.NewAttributesRecord(obj, nil, gvk, ns, pod.Name, gvr, "", admission.Create, &metav1.CreateOptions{}, true, &user.DefaultInfo{Name: "test"})
	res := p.validator.Validate(context.Background(), gvr, &admission.VersionedAttributes{Attributes: attrs, VersionedObject: admission.NewLazyObject(obj), VersionedKind: gvk}, nil,
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, celconfig.RuntimeCELCostBudget, nil)
	var denied []string
	for _, d := range res.Decisions {
		if d.Evaluation == validating.EvalError {
			return nil, fmt.Errorf("evaluation error: %s", d.Message)
		}
		if d.Action == validating.ActionDeny {
			denied = append(denied, d.Message)
		}
	}
	return denied, nil
}

// TestInProcessAgreesWithAudit is the agreement test of the API server
// tests (TestPolicyOnAPIServer in the main module's enforcement package),
// evaluated in process: quick, and run where no control plane is built.
func TestInProcessAgreesWithAudit(t *testing.T) {
	cfg := policytest.Config(t)
	p := newInProcessPolicy(t, enforcement.Policy(cfg, cfg.Pools()[0]))
	auditor := audit.NewAuditor(cfg)
	specs := policytest.AgreementSpecs()
	denied := 0
	for i, spec := range specs {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("agree-%d", i)}, Spec: spec}
		auditSays, reasons := policytest.AuditDecision(t, auditor, pod)
		msgs, err := p.decide(t, policytest.Namespace, pod)
		if err != nil {
			t.Fatalf("row %d: %v\n%s", i, err, policytest.Describe(spec))
		}
		if policySays := len(msgs) > 0; policySays != auditSays {
			t.Errorf("row %d: the audit says %v, the policy says %v (%q)\n%s", i, auditSays, policySays, msgs, policytest.Describe(spec))
			continue
		}
		if auditSays {
			denied++
			if !strings.Contains(msgs[0], "has elevated privileges ("+reasons+"): ") {
				t.Errorf("row %d: the policy names other privileges than the audit (%s):\n%s", i, reasons, msgs[0])
			}
		}
	}
	if denied == 0 || denied == len(specs) {
		t.Errorf("%d of %d rows denied: the rows do not exercise both outcomes", denied, len(specs))
	}
	t.Logf("%d pod specs, %d denied", len(specs), denied)
}
