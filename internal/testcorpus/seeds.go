package testcorpus

import (
	"os"
	"path/filepath"
	"testing"
)

// AddSeeds adds every file that matches pattern to f's seed corpus.
func AddSeeds(f *testing.F, pattern string) {
	files, _ := filepath.Glob(pattern)
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
}
