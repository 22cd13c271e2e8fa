// Package selection decides which resources a WorkloadIsolation selects and excludes.
package selection
