// Package live reads the Pods and Nodes of a running cluster through its API
// server, for `isolate-workloads verify --kubeconfig` and `--in-cluster`.
//
// It uses client-go's REST client with a scheme that knows only core/v1, not
// the generated clientset: registering every API group's types at process
// start would cost the function mode, which shares the binary, several
// milliseconds on every run.
package live
