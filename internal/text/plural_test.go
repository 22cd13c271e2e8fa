package text

import "testing"

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 workloads", 1: "1 workload", 2: "2 workloads"} {
		if got := Plural(n, "workload"); got != want {
			t.Errorf("Plural(%d) = %q, want %q", n, got, want)
		}
	}
}
