// Package enforcement renders the ValidatingAdmissionPolicy and its binding that keep a pool's isolation true in the cluster after the sync: pods labelled for the pool must stay pinned to it, and privileged pods not labelled for it must not tolerate its taints.
package enforcement
