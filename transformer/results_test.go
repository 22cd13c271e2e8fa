package transformer

import (
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// TestEarlierResultsReplaced feeds a run's whole output, results included,
// back in with another function's result: the second run replaces its own
// earlier results and keeps the other function's.
func TestEarlierResultsReplaced(t *testing.T) {
	first := loadCase(t, goldenDir+"/audit-privileged-tolerating")
	_, _ = Run(first)
	own := len(first.Results)
	if own == 0 {
		t.Fatal("the first run has no results")
	}
	other := &fn.Result{Message: "from another function", Severity: fn.Info, Tags: map[string]string{"function": "set-labels"}}
	first.Results = append(first.Results, other)
	text, err := first.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	second, err := fn.ParseResourceList(text)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = Run(second)
	if got := len(second.Results); got != own+1 {
		t.Fatalf("%d results after the second run, want %d (its own %d and the other function's)", got, own+1, own)
	}
	if second.Results[0].Message != other.Message {
		t.Errorf("the other function's result is gone or moved: %+v", second.Results[0])
	}
	for _, r := range second.Results[1:] {
		if r.Tags[FunctionTag] != FunctionName {
			t.Errorf("a result of this run is not tagged: %+v", r)
		}
	}
}
