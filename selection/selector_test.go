package selection

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func ptr(s string) *string { return &s }

func TestSelected(t *testing.T) {
	deploy := schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}
	web := Resource{GVK: deploy, Name: "web-1", Namespace: "team-a", Labels: map[string]string{"tier": "web"}, Annotations: map[string]string{"isolate": "true"}}
	cases := []struct {
		name      string
		selectors []Selector
		excludes  []Selector
		r         Resource
		want      bool
	}{
		{"empty-selector-selects-all", []Selector{{}}, nil, web, true},
		{"group-kind", []Selector{{Group: "apps", Kind: "Deployment"}}, nil, web, true},
		{"other-group", []Selector{{Group: "batch", Kind: "Deployment"}}, nil, web, false},
		{"other-version", []Selector{{Version: "v2"}}, nil, web, false},
		{"name-regex-whole", []Selector{{Name: ptr("web-.*")}}, nil, web, true},
		{"name-regex-is-anchored", []Selector{{Name: ptr("web")}}, nil, web, false},
		{"namespace-alternation", []Selector{{Namespace: ptr("team-a|team-b")}}, nil, web, true},
		{"empty-namespace-only-cluster-scoped", []Selector{{Namespace: ptr("")}}, nil, web, false},
		{"empty-namespace-matches-cluster-scoped", []Selector{{Namespace: ptr("")}}, nil, Resource{GVK: deploy, Name: "x"}, true},
		{"set-based-labels", []Selector{{LabelSelector: "tier in (web,api)"}}, nil, web, true},
		{"labels-not-matching", []Selector{{LabelSelector: "tier=db"}}, nil, web, false},
		{"annotations", []Selector{{AnnotationSelector: "isolate=true"}}, nil, web, true},
		{"fields-are-anded", []Selector{{Kind: "Deployment", LabelSelector: "tier=db"}}, nil, web, false},
		{"selectors-are-ored", []Selector{{Kind: "Job"}, {Kind: "Deployment"}}, nil, web, true},
		{"exclude-wins", []Selector{{}}, []Selector{{Namespace: ptr("team-.*")}}, web, false},
	}
	for _, tc := range cases {
		m, errs := Compile(tc.selectors, tc.excludes, field.NewPath("s"), field.NewPath("e"))
		if len(errs) > 0 {
			t.Fatalf("%s: %v", tc.name, errs)
		}
		if got := m.Selected(tc.r); got != tc.want {
			t.Errorf("%s: Selected = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWholeMatch checks that an expression must match the whole string,
// alternation included.
func TestWholeMatch(t *testing.T) {
	cases := []struct {
		expr, in string
		want     bool
	}{
		{"web", "web", true},
		{"web", "web-1", false},
		{"web", "my-web", false},
		{"web-.*", "web-1", true},
		{"a|b", "a", true},
		{"a|b", "ab", false},
		{"a.b", "axb", true},
		{`a\.b`, "axb", false},
		{"", "", true},
		{"", "a", false},
	}
	for _, tc := range cases {
		re, err := wholeMatch(tc.expr)
		if err != nil {
			t.Fatalf("%q: %v", tc.expr, err)
		}
		if got := re.MatchString(tc.in); got != tc.want {
			t.Errorf("%q on %q: %v, want %v", tc.expr, tc.in, got, tc.want)
		}
	}
}
