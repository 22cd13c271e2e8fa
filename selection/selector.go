package selection

import (
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Selector picks resources. Every field is optional, and the fields that are
// set are ANDed.
type Selector struct {
	Group   string `json:"group,omitempty" yaml:"group,omitempty"`
	Version string `json:"version,omitempty" yaml:"version,omitempty"`
	Kind    string `json:"kind,omitempty" yaml:"kind,omitempty"`
	// Name is a regular expression that must match the whole name.
	Name *string `json:"name,omitempty" yaml:"name,omitempty"`
	// Namespace is a regular expression that must match the whole namespace.
	// The empty string matches only resources without a namespace.
	Namespace *string `json:"namespace,omitempty" yaml:"namespace,omitempty"`
	// LabelSelector uses Kubernetes selector syntax on metadata.labels.
	LabelSelector string `json:"labelSelector,omitempty" yaml:"labelSelector,omitempty"`
	// AnnotationSelector uses the same syntax on metadata.annotations.
	AnnotationSelector string `json:"annotationSelector,omitempty" yaml:"annotationSelector,omitempty"`
}

// Resource is what a selector looks at.
type Resource struct {
	GVK         schema.GroupVersionKind
	Name        string
	Namespace   string
	Labels      map[string]string
	Annotations map[string]string
}

// compiled is a Selector with its expressions parsed once.
type compiled struct {
	group, version, kind string
	name, namespace      *regexp.Regexp
	labels, annotations  labels.Selector
}

func compile(s Selector, path *field.Path) (compiled, field.ErrorList) {
	var errs field.ErrorList
	c := compiled{group: s.Group, version: s.Version, kind: s.Kind}
	var err error
	if s.Name != nil {
		if c.name, err = wholeMatch(*s.Name); err != nil {
			errs = append(errs, field.Invalid(path.Child("name"), *s.Name, err.Error()))
		}
	}
	if s.Namespace != nil {
		if c.namespace, err = wholeMatch(*s.Namespace); err != nil {
			errs = append(errs, field.Invalid(path.Child("namespace"), *s.Namespace, err.Error()))
		}
	}
	if c.labels, err = labels.Parse(s.LabelSelector); err != nil {
		errs = append(errs, field.Invalid(path.Child("labelSelector"), s.LabelSelector, err.Error()))
	}
	if c.annotations, err = labels.Parse(s.AnnotationSelector); err != nil {
		errs = append(errs, field.Invalid(path.Child("annotationSelector"), s.AnnotationSelector, err.Error()))
	}
	return c, errs
}

// wholeMatch anchors the expression, because users write "web-.*" meaning
// the whole name, and an unanchored "web" would also select "not-web-at-all".
func wholeMatch(expr string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		return nil, fmt.Errorf("not a valid regular expression: %w", err)
	}
	return re, nil
}

func (c compiled) matches(r Resource) bool {
	switch {
	case c.group != "" && c.group != r.GVK.Group,
		c.version != "" && c.version != r.GVK.Version,
		c.kind != "" && c.kind != r.GVK.Kind,
		c.name != nil && !c.name.MatchString(r.Name),
		c.namespace != nil && !c.namespace.MatchString(r.Namespace):
		return false
	}
	return c.labels.Matches(labels.Set(r.Labels)) && c.annotations.Matches(labels.Set(r.Annotations))
}

// Matcher holds the compiled selectors and excludes of one config.
type Matcher struct {
	selectors []compiled
	excludes  []compiled
}

// Compile parses every selector and exclude and returns every problem at once.
func Compile(selectors, excludes []Selector, selectorsPath, excludesPath *field.Path) (*Matcher, field.ErrorList) {
	var errs field.ErrorList
	m := &Matcher{}
	for i, s := range selectors {
		c, e := compile(s, selectorsPath.Index(i))
		errs = append(errs, e...)
		m.selectors = append(m.selectors, c)
	}
	for i, s := range excludes {
		c, e := compile(s, excludesPath.Index(i))
		errs = append(errs, e...)
		m.excludes = append(m.excludes, c)
	}
	return m, errs
}

// Selected reports whether r matches any selector and no exclude.
func (m *Matcher) Selected(r Resource) bool {
	return m.First(r) >= 0
}

// Excluded reports whether r matches an exclude.
func (m *Matcher) Excluded(r Resource) bool {
	for _, e := range m.excludes {
		if e.matches(r) {
			return true
		}
	}
	return false
}

// First is the index of the first selector r matches, or -1 when it
// matches none or matches an exclude.
func (m *Matcher) First(r Resource) int {
	if m.Excluded(r) {
		return -1
	}
	for i, s := range m.selectors {
		if s.matches(r) {
			return i
		}
	}
	return -1
}
