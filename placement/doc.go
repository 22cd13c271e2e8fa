// Package placement computes and applies the tolerations, node affinity and nodeSelector that pin a pod spec to the pool.
package placement
