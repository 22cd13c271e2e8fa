// Package testcluster starts a real Kubernetes control plane for tests: etcd,
// kube-apiserver, kube-scheduler and kube-controller-manager, built from source
// by hack/controlplane.sh (`make controlplane`). There is no kubelet, so nodes
// are API objects the tests create and mark Ready; the real scheduler binds
// pods to them and the real controllers create the pods of workloads.
//
// A test calls Start(t) and gets a cluster that stops with the test. The
// admin kubeconfig is a file (Cluster.Kubeconfig) so commands under test can
// read it like a user's. When a binary is missing the test is skipped off CI
// and fails on CI (CI=true), like the other client tests.
package testcluster
