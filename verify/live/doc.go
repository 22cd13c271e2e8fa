// Package live reads the Pods and Nodes of a running cluster through its API
// server, for `isolate-workloads verify --kubeconfig` and `--in-cluster`.
//
// It uses client-go's REST client with a scheme that knows only core/v1, not
// the generated clientset: the clientset's packages register every API
// group's types when the process starts, and the function mode, which
// shares the binary, would pay for that on every run (BENCHMARKS.md has what
// the REST client costs it).
package live
