package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoClientGo keeps client-go out of the function binary: Go runs every
// linked package's initialisation on each start, and the function starts
// once per render. The live mode of verify is in the second
// binary, function/live, which must link it.
func TestNoClientGo(t *testing.T) {
	for pkg, want := range map[string]bool{".": false, "./live": true} {
		out, err := exec.Command("go", "list", "-deps", pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		var linked []string
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "k8s.io/client-go/") {
				linked = append(linked, dep)
			}
		}
		if got := len(linked) > 0; got != want {
			t.Errorf("%s links client-go: %v (want %v) %v", pkg, got, want, linked)
		}
	}
}
