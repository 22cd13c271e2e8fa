// Package cli implements the isolate-workloads subcommands on cobra, as kubectl's are; main only dispatches to it, and function mode never builds them.
//
// It does not link client-go: the live mode of verify (--kubeconfig,
// --in-cluster) is registered with RegisterLiveVerify by the second binary,
// isolate-workloads-live, and the function binary runs that binary for it.
package cli
