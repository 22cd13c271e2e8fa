// Package live reads the Pods and Nodes of a running cluster through its API
// server, for `isolate-workloads verify --kubeconfig` and `--in-cluster`.
//
// Only the isolate-workloads-live binary (function/live) links it; the
// function binary runs that one for the live mode, so it does not run
// client-go's package initialisation on every KRM function start
// (BENCHMARKS.md has the figures). Within the live binary it uses client-go's
// REST client with a scheme that knows only core/v1, not the generated
// clientset, whose packages register every API group's types at start.
package live
