// Package policytest holds what the admission policy's tests share across the two modules: the pool they render, and the pod specs on which the policy and the audit must agree, with the audit's side of each decision.
package policytest
