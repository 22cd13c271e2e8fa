// Package workload knows which kinds carry a pod spec and where it lives.
package workload
