// Package e2e runs the function through the real clients users run it with: kustomize and kpt.
package e2e
