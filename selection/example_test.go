package selection_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

// A workload is selected when it matches any selector and no exclude. Name
// and namespace are regular expressions over the whole string.
func ExampleMatcher_Selected() {
	tenants := "tenant-.*"
	selectors := []selection.Selector{
		{Kind: "Deployment", Namespace: &tenants},
		{LabelSelector: "isolation=untrusted"},
	}
	sandbox := "tenant-sandbox"
	excludes := []selection.Selector{{Namespace: &sandbox}}
	m, errs := selection.Compile(selectors, excludes, field.NewPath("spec", "selectors"), field.NewPath("spec", "excludes"))
	if len(errs) > 0 {
		fmt.Println(errs)
		return
	}
	deployment := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	job := schema.GroupVersionKind{Group: "batch", Version: "v1", Kind: "Job"}
	for _, r := range []selection.Resource{
		{GVK: deployment, Name: "web", Namespace: "tenant-a"},
		{GVK: deployment, Name: "web", Namespace: "my-tenant-a"},
		{GVK: deployment, Name: "web", Namespace: "tenant-sandbox"},
		{GVK: job, Name: "build", Namespace: "ci", Labels: map[string]string{"isolation": "untrusted"}},
	} {
		fmt.Printf("%s %s/%s: %v\n", r.GVK.Kind, r.Namespace, r.Name, m.Selected(r))
	}
	// Output:
	// Deployment tenant-a/web: true
	// Deployment my-tenant-a/web: false
	// Deployment tenant-sandbox/web: false
	// Job ci/build: true
}

// Every invalid expression is reported at once, at its field.
func ExampleCompile() {
	bad := "web-("
	_, errs := selection.Compile([]selection.Selector{{Name: &bad, LabelSelector: "tier in web"}}, nil, field.NewPath("spec", "selectors"), nil)
	for _, e := range errs {
		fmt.Println(e.Field)
	}
	// Output:
	// spec.selectors[0].name
	// spec.selectors[0].labelSelector
}
