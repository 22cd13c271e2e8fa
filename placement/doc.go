// Package placement computes and applies the tolerations, node affinity and nodeSelector that pin a pod spec to the pool, and decides exactly whether a pod can land on the pool's nodes or on shared ones.
package placement
