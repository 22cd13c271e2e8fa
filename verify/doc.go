// Package verify checks a live cluster's pods and nodes against the isolation config: the guide's "kubectl get pods -o wide" step, automated.
package verify
