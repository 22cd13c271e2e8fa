//go:build tools

// Package controlplane records the commands this module builds, so that
// go mod tidy keeps their dependencies. Nothing imports it.
package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
