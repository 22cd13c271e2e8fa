// Package verify checks a live cluster's pods and nodes against the isolation config: where each pod runs, as "kubectl get pods -o wide" shows it, checked for every pod and node.
package verify
