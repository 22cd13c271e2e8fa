package config

import (
	"fmt"
	"maps"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/selection"
)

// Pool is one dedicated pool as a run sees it, whichever form the config
// gives it in: spec.nodePool with spec.selectors, or one spec.nodePools item.
type Pool struct {
	NodePool
	// Path is where the config defines the pool: spec.nodePool or
	// spec.nodePools[i].
	Path *field.Path
	// Placement is the pool's own placement, or spec.placement, defaulted,
	// and PlacementPath where it is.
	Placement     Placement
	PlacementPath *field.Path
	Selectors     []Selector
	// SelectorsPath is where the selectors are: spec.selectors or
	// spec.nodePools[i].selectors.
	SelectorsPath *field.Path

	matcher *selection.Matcher
	// ownPlacement is set when the pool has a placement of its own.
	ownPlacement bool
}

// Pools are the dedicated pools, in config order. They are set by Validate
// (which Load runs), and nil before.
func (w *WorkloadIsolation) Pools() []Pool { return w.pools }

// SystemPoolBase is the index of the pool whose provider blocks, and so
// targets, the system pool takes: the first pool that emits a target, or
// the first pool when none does.
func (w *WorkloadIsolation) SystemPoolBase() int {
	for i, p := range w.pools {
		if len(p.EmittedTargets()) > 0 {
			return i
		}
	}
	return 0
}

// MultiPool reports whether the config uses the spec.nodePools form.
func (w *WorkloadIsolation) MultiPool() bool { return len(w.Spec.NodePools) > 0 }

// Choice is where a selected workload goes and how it is placed there.
type Choice struct {
	// Pool is the index of the pool in Pools.
	Pool int
	// Selector is the index of the first selector of the pool that matched.
	Selector  int
	Placement Placement
	// OwnPlacement is set when the placement is the selector's or the
	// pool's own rather than spec.placement.
	OwnPlacement bool
}

// Select returns the pool that selects r: ok is false when none does (or r
// matches spec.excludes), and the error names every pool and selector that
// matched when more than one pool does.
func (w *WorkloadIsolation) Select(r selection.Resource) (Choice, bool, error) {
	if w.excluded.Excluded(r) {
		return Choice{}, false, nil
	}
	var matched []Choice
	for i := range w.pools {
		p := &w.pools[i]
		if s := p.matcher.First(r); s >= 0 {
			pl, own := p.placementOf(s)
			matched = append(matched, Choice{Pool: i, Selector: s, Placement: pl, OwnPlacement: own})
		}
	}
	switch len(matched) {
	case 0:
		return Choice{}, false, nil
	case 1:
		return matched[0], true, nil
	}
	by := make([]string, len(matched))
	for i, c := range matched {
		p := w.pools[c.Pool]
		by[i] = fmt.Sprintf("node pool %q (%s)", p.Name, p.SelectorsPath.Index(c.Selector))
	}
	return Choice{}, false, fmt.Errorf("selected by %s: a workload can run on one dedicated pool only; "+
		"narrow the selectors, or add an exclude to all but one of these pools", strings.Join(by, " and by "))
}

// placementOf is the placement of the workloads the selector picks: the
// selector's own, else the pool's; own is false for spec.placement.
func (p *Pool) placementOf(selector int) (placement Placement, own bool) {
	if pl := p.Selectors[selector].Placement; pl != nil {
		return *pl, true
	}
	return p.Placement, p.ownPlacement
}

// resolvePools builds the pools of either form. Given both, it reports
// that and goes on with spec.nodePools, so that their problems come out in
// the same run; validatePool checks and compiles each pool.
func (w *WorkloadIsolation) resolvePools(spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	w.pools = nil
	if w.Spec.NodePools != nil && len(w.Spec.NodePools) == 0 && w.Spec.NodePool == nil {
		return field.ErrorList{field.Required(spec.Child("nodePools"), "at least one pool, or spec.nodePool with spec.selectors for one")}
	}
	if !w.MultiPool() {
		p := Pool{Path: spec.Child("nodePool"), Placement: w.Spec.Placement, PlacementPath: spec.Child("placement"),
			Selectors: w.Spec.Selectors, SelectorsPath: spec.Child("selectors")}
		if w.Spec.NodePool != nil {
			p.NodePool = *w.Spec.NodePool
		}
		w.pools = append(w.pools, p)
		return nil
	}
	if w.Spec.NodePool != nil {
		errs = append(errs, field.Forbidden(spec.Child("nodePool"),
			"give either spec.nodePool with spec.selectors (one pool) or spec.nodePools (several), not both"))
	}
	if len(w.Spec.Selectors) > 0 {
		errs = append(errs, field.Forbidden(spec.Child("selectors"),
			"with spec.nodePools, each pool has its own selectors: move these into spec.nodePools[i].selectors"))
	}
	for i, ps := range w.Spec.NodePools {
		path := spec.Child("nodePools").Index(i)
		p := Pool{NodePool: ps.NodePool, Path: path, Placement: w.Spec.Placement, PlacementPath: spec.Child("placement"),
			Selectors: ps.Selectors, SelectorsPath: path.Child("selectors")}
		if ps.Placement != nil {
			p.Placement, p.PlacementPath, p.ownPlacement = *ps.Placement, path.Child("placement"), true
		}
		w.pools = append(w.pools, p)
	}
	return errs
}

// validatePool checks pool i: the pool itself, its targets, the placements
// it and its selectors give, and its selectors, which it compiles.
func (w *WorkloadIsolation) validatePool(i int) field.ErrorList {
	p := &w.pools[i]
	errs := validateNodePool(p.NodePool, p.Path)
	errs = append(errs, w.validateTargets(i, p.Emit)...)
	// spec.placement is checked once, with the config.
	if !w.MultiPool() || w.Spec.NodePools[i].Placement != nil {
		errs = append(errs, validatePlacement(p.Placement, p.PlacementPath)...)
	}
	if len(p.Selectors) == 0 {
		errs = append(errs, field.Required(p.SelectorsPath,
			"at least one selector is required; use `- {}` to select every workload"))
	}
	for j, s := range p.Selectors {
		if s.Placement != nil {
			errs = append(errs, validatePlacement(*s.Placement, p.SelectorsPath.Index(j).Child("placement"))...)
		}
	}
	var excludes []selection.Selector
	var excludesPath *field.Path
	if w.MultiPool() {
		excludes, excludesPath = w.Spec.NodePools[i].Excludes, p.Path.Child("excludes")
	}
	plain := make([]selection.Selector, len(p.Selectors))
	for j, s := range p.Selectors {
		plain[j] = s.Selector
	}
	var selErrs field.ErrorList
	p.matcher, selErrs = selection.Compile(plain, excludes, p.SelectorsPath, excludesPath)
	return append(errs, selErrs...)
}

// validatePoolsApart rejects two pools with one name (the emitted objects
// and the admission policies are named after it), and two pools where one's
// labels are all among the other's: every node of the one then carries the
// other's labels, so node affinity to the other admits it too.
func (w *WorkloadIsolation) validatePoolsApart() field.ErrorList {
	var errs field.ErrorList
	names := map[string]*field.Path{}
	claim := func(name string, pool *field.Path) {
		if name == "" {
			return
		}
		if first, ok := names[name]; ok {
			errs = append(errs, field.Invalid(pool.Child("name"), name, fmt.Sprintf(
				"the pool at %s has this name already; pool names must be unique, as the emitted objects and admission policies are named after them", first)))
			return
		}
		names[name] = pool
	}
	for i, p := range w.pools {
		claim(p.Name, p.Path)
		for _, q := range w.pools[:i] {
			if len(p.Labels) == 0 || len(q.Labels) == 0 {
				continue
			}
			if why := overlappingLabels(p, q); why != "" {
				errs = append(errs, field.Invalid(p.Path.Child("labels"), field.OmitValueType{}, why+"; give each pool a label of its own"))
			}
		}
	}
	if s := w.Spec.SystemNodePool; s != nil {
		claim(s.Name, field.NewPath("spec", "systemNodePool"))
	}
	return errs
}

// overlappingLabels says why node affinity cannot tell p's nodes from q's.
func overlappingLabels(p, q Pool) string {
	switch {
	case maps.Equal(p.Labels, q.Labels):
		return fmt.Sprintf("the pool at %s has exactly these labels (%s), so node affinity cannot tell the two pools' nodes apart", q.Path, labels.Set(p.Labels))
	case labels.SelectorFromSet(q.Labels).Matches(labels.Set(p.Labels)):
		return fmt.Sprintf("these labels include all of the pool at %s (%s), so workloads pinned to that pool could run on this one's nodes", q.Path, labels.Set(q.Labels))
	case labels.SelectorFromSet(p.Labels).Matches(labels.Set(q.Labels)):
		return fmt.Sprintf("the pool at %s has all of these labels (%s), so workloads pinned to this pool could run on that one's nodes", q.Path, labels.Set(p.Labels))
	}
	return ""
}
