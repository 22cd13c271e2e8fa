// Package nodepool renders the dedicated node pool for each provider target, from the same config that isolates the workloads.
package nodepool
