package placement

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// This file decides exactly whether some node can meet a set of label and
// field requirements. "Some node" means one the API server would accept: its
// label keys are qualified names, its label values valid label values, and
// its name a DNS subdomain. The requirements mean what the scheduler's
// matcher (labels.Requirement.Matches) makes of them:
//
//   - In sets intersect, NotIn removes values, and an absent label passes
//     NotIn and DoesNotExist but nothing else;
//   - Gt and Lt parse the label value as a base-10 int64 and fail when it
//     does not parse. A valid label value starts and ends with a letter or
//     digit, so no sign: the integers a node can carry are 0..MaxInt64, each
//     in many spellings ("5", "05", "005"...), which a NotIn of one spelling
//     does not rule out;
//   - matchFields compare the node's fields, and the scheduler knows one:
//     metadata.name, which every node has, exactly one of.

// constraint is one requirement on a node label, and where it comes from, for
// the messages.
type constraint struct {
	req  corev1.NodeSelectorRequirement
	from string
}

func (c constraint) String() string {
	if c.from != "" {
		return fmt.Sprintf("%s %s=%s", c.from, c.req.Key, c.req.Values[0])
	}
	switch c.req.Operator {
	case corev1.NodeSelectorOpExists, corev1.NodeSelectorOpDoesNotExist:
		return fmt.Sprintf("%s %s", c.req.Key, c.req.Operator)
	}
	return fmt.Sprintf("%s %s [%s]", c.req.Key, c.req.Operator, strings.Join(c.req.Values, ", "))
}

// equalTo is the constraint of a nodeSelector entry or a pool label: the
// label is there with this value.
func equalTo(key, value, from string) constraint {
	return constraint{req: corev1.NodeSelectorRequirement{Key: key, Operator: corev1.NodeSelectorOpIn, Values: []string{value}}, from: from}
}

// labelsSatisfiable reports whether some valid label set meets every
// constraint, and otherwise names the label that cannot. Labels are
// independent of each other, so it decides one key at a time.
func labelsSatisfiable(cs []constraint) (bool, string) {
	keys, byKey := groupByKey(cs, func(c constraint) string { return c.req.Key })
	for _, k := range keys {
		if !labelSatisfiable(k, byKey[k]) {
			descs := make([]string, len(byKey[k]))
			for i, c := range byKey[k] {
				descs[i] = c.String()
			}
			return false, fmt.Sprintf("no value of label %q satisfies %s", k, strings.Join(descs, ", "))
		}
	}
	return true, ""
}

// groupByKey groups items by key, keys in the order they first appear, so
// that a message names the first key that fails.
func groupByKey[T any](items []T, key func(T) string) ([]string, map[string][]T) {
	var keys []string
	groups := map[string][]T{}
	for _, it := range items {
		k := key(it)
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], it)
	}
	return keys, groups
}

// labelSatisfiable decides the constraints on one label key.
func labelSatisfiable(key string, cs []constraint) bool {
	var (
		inSets         [][]string
		notIn          = map[string]bool{}
		exists, absent bool
		ranged         bool
		lo, hi         int64 = 0, math.MaxInt64 // the integers a label value can spell
	)
	for _, c := range cs {
		switch c.req.Operator {
		case corev1.NodeSelectorOpIn:
			inSets = append(inSets, c.req.Values)
		case corev1.NodeSelectorOpNotIn:
			for _, v := range c.req.Values {
				notIn[v] = true
			}
		case corev1.NodeSelectorOpExists:
			exists = true
		case corev1.NodeSelectorOpDoesNotExist:
			absent = true
		case corev1.NodeSelectorOpGt, corev1.NodeSelectorOpLt:
			ranged = true
			n, err := strconv.ParseInt(singleValue(c.req.Values), 10, 64)
			switch {
			case err != nil:
				return false // the matcher fails such a requirement
			case c.req.Operator == corev1.NodeSelectorOpGt && n == math.MaxInt64,
				c.req.Operator == corev1.NodeSelectorOpLt && n <= 0:
				return false
			case c.req.Operator == corev1.NodeSelectorOpGt:
				lo = max(lo, n+1)
			default:
				hi = min(hi, n-1)
			}
		default:
			return false // an operator the matcher does not know matches nothing
		}
	}
	if len(inSets) == 0 && !exists && !ranged {
		return true // leave the label off
	}
	if absent || len(validation.IsQualifiedName(key)) > 0 {
		return false
	}
	allowed := func(v string) bool {
		if notIn[v] || len(validation.IsValidLabelValue(v)) > 0 {
			return false
		}
		for _, set := range inSets {
			if !slices.Contains(set, v) {
				return false
			}
		}
		if !ranged {
			return true
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return err == nil && lo <= n && n <= hi
	}
	if len(inSets) > 0 {
		return slices.ContainsFunc(inSets[0], allowed)
	}
	if !ranged {
		return true // Exists: valid values are endless, NotIn lists a few
	}
	// Each NotIn value rules out one spelling of one integer, so among
	// len(notIn)+1 integers of the range one spelling is left, if the range
	// has that many.
	for n := lo; n <= hi && n-lo <= int64(len(notIn)); n++ {
		digits := strconv.FormatInt(n, 10)
		for zeros := 0; zeros+len(digits) <= validation.LabelValueMaxLength; zeros++ {
			if allowed(strings.Repeat("0", zeros) + digits) {
				return true
			}
		}
		if n == math.MaxInt64 {
			break
		}
	}
	return false
}

func singleValue(values []string) string {
	if len(values) != 1 {
		return "" // does not parse, as the matcher wants exactly one
	}
	return values[0]
}

// nodeNameField is the one node field the scheduler's matcher knows.
const nodeNameField = "metadata.name"

// fieldsSatisfiable reports whether some node meets every matchFields
// requirement (In or NotIn of one value: the parser refuses anything else).
func fieldsSatisfiable(reqs []corev1.NodeSelectorRequirement) (bool, string) {
	keys, byKey := groupByKey(reqs, func(r corev1.NodeSelectorRequirement) string { return r.Key })
	for _, k := range keys {
		if !fieldSatisfiable(k, byKey[k]) {
			descs := make([]string, len(byKey[k]))
			for i, r := range byKey[k] {
				descs[i] = constraint{req: r}.String()
			}
			return false, fmt.Sprintf("no node has a field %s that satisfies %s", k, strings.Join(descs, ", "))
		}
	}
	return true, ""
}

func fieldSatisfiable(key string, reqs []corev1.NodeSelectorRequirement) bool {
	// The matcher reads any other field as "" (the API server refuses other
	// keys, so only hand-written or invalid pods get here): decide that value.
	allowed := func(v string) bool {
		for _, r := range reqs {
			if (r.Operator == corev1.NodeSelectorOpIn) != (v == singleValue(r.Values)) {
				return false
			}
		}
		return true
	}
	if key != nodeNameField {
		return allowed("")
	}
	named := false
	for _, r := range reqs {
		if r.Operator == corev1.NodeSelectorOpIn {
			named = true
			if name := singleValue(r.Values); len(validation.IsDNS1123Subdomain(name)) == 0 && allowed(name) {
				return true
			}
		}
	}
	// Without In, a fresh name meets every NotIn.
	return !named
}
