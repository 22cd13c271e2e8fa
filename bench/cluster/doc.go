// Package cluster measures `isolate-workloads verify --kubeconfig` against
// `kubectl get pods,nodes -A -o json | isolate-workloads verify` on a real
// control plane holding 2,000 pods on 200 nodes. It is a benchmark driver,
// not a test: its only file builds with the clusterbench tag, so `go test
// ./...` never runs it. Run it with bench/cluster.sh (make bench-cluster).
package cluster
