// Package fsutil copies directory trees for the tests and the benchmark harness.
package fsutil
