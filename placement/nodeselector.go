package placement

import (
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// MergeNodeSelector returns the pool labels that nodeSelector lacks. A key
// that is there with another value can never match a node of the pool, so it
// is an error, not something to overwrite.
func MergeNodeSelector(existing, poolLabels map[string]string, path *field.Path) (map[string]string, field.ErrorList) {
	add := map[string]string{}
	var errs field.ErrorList
	for _, k := range slices.Sorted(maps.Keys(poolLabels)) {
		v, ok := existing[k]
		switch {
		case !ok:
			add[k] = poolLabels[k]
		case v != poolLabels[k]:
			errs = append(errs, field.Invalid(path.Key(k), v,
				fmt.Sprintf("the node pool is labelled %s=%s; this nodeSelector would keep the workload off it", k, poolLabels[k])))
		}
	}
	return add, errs
}
