package placement

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestManyPools decides where pods can land among sixteen pools of three
// labels each: the nodes outside them all are a search over 3^16 choices,
// which must stop at the first node it finds or at the first pool that
// rules every node out.
func TestManyPools(t *testing.T) {
	var pools []Pool
	for i := range 16 {
		pools = append(pools, Pool{Name: fmt.Sprint(i),
			Labels: map[string]string{"tenant": fmt.Sprint(i), fmt.Sprintf("team-%d", i): "x", "tier": fmt.Sprint(i)}})
	}
	others := func(i int) []Pool { return append(append([]Pool{}, pools[:i]...), pools[i+1:]...) }
	pinnedToLast := Scheduling{NodeSelector: map[string]string{"tenant": "15", "team-15": "x", "tier": "15"}}

	assert.True(t, CanLandOnShared(Scheduling{}, pools...), "an unpinned pod runs on shared nodes")
	assert.False(t, CanLandOnShared(pinnedToLast, pools...), "a pod pinned to a pool runs on no shared node")
	assert.True(t, CanLandOnPool(pinnedToLast, pools[15], others(15)...))
	for i := range 15 {
		assert.False(t, CanLandOnPool(pinnedToLast, pools[i], others(i)...), "pinned to pool 15, it cannot land on pool %d", i)
	}
	// One of pool 15's labels only: any node may carry it, of pool 15, of
	// another pool (it lacks pool 15's other labels) or shared.
	teamOnly := Scheduling{NodeSelector: map[string]string{"team-15": "x"}}
	assert.True(t, CanLandOnShared(teamOnly, pools...))
	assert.True(t, CanLandOnPool(teamOnly, pools[15], others(15)...))
	assert.True(t, CanLandOnPool(teamOnly, pools[3], others(3)...))
	// Pool 3's tenant value and pool 15's tier: no pool's node, and no
	// shared node either once pool 3's other labels are required too.
	mixed := Scheduling{NodeSelector: map[string]string{"tenant": "3", "team-3": "x", "tier": "15"}}
	assert.True(t, CanLandOnShared(mixed, pools...), "tier=15 keeps it off pool 3, and tenant=3 off pool 15")
	assert.False(t, CanLandOnPool(mixed, pools[3], others(3)...))
}
