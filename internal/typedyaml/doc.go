// Package typedyaml converts between kyaml nodes and the Kubernetes API types, which only carry json tags.
package typedyaml
