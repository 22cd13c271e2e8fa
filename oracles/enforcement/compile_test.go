package enforcement_test

import (
	"testing"

	"github.com/google/cel-go/cel"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/isolate-workloads/isolate-workloads/enforcement"
	"github.com/isolate-workloads/isolate-workloads/internal/policytest"
)

// expression is a CEL expression as the admission plugin's compiler takes it.
type expression struct {
	name, text string
	returns    *cel.Type
}

func (e expression) GetExpression() string    { return e.text }
func (e expression) GetName() string          { return e.name }
func (e expression) ReturnTypes() []*cel.Type { return []*cel.Type{e.returns} }

// TestExpressionsCompile compiles every expression of the policy with the API
// server's own admission CEL environment, at the compatibility version a new
// policy is checked against. The object is untyped here; the real API server
// tests type-check against the Pod schema.
func TestExpressionsCompile(t *testing.T) {
	cfg := policytest.Config(t)
	policy := enforcement.Policy(cfg, cfg.Pools()[0])
	compiler, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion()))
	if err != nil {
		t.Fatal(err)
	}
	check := func(what string, r plugincel.CompilationResult) {
		t.Helper()
		if r.Error != nil {
			t.Errorf("%s: %v", what, r.Error)
		}
	}
	for _, c := range policy.Spec.MatchConditions {
		check("matchCondition "+c.Name, compiler.CompileCELExpression(expression{text: c.Expression, returns: cel.BoolType}, plugincel.OptionalVariableDeclarations{}, environment.NewExpressions))
	}
	for _, v := range policy.Spec.Variables {
		check("variable "+v.Name, compiler.CompileAndStoreVariable(expression{name: v.Name, text: v.Expression, returns: cel.AnyType}, plugincel.OptionalVariableDeclarations{}, environment.NewExpressions))
	}
	for _, v := range policy.Spec.Validations {
		check("validation expression", compiler.CompileCELExpression(expression{text: v.Expression, returns: cel.BoolType}, plugincel.OptionalVariableDeclarations{}, environment.NewExpressions))
		if v.MessageExpression != "" {
			check("validation messageExpression", compiler.CompileCELExpression(expression{text: v.MessageExpression, returns: cel.StringType}, plugincel.OptionalVariableDeclarations{}, environment.NewExpressions))
		}
	}
}
