// Package audit reports the escalation paths node isolation leaves open, decided with the scheduler's predicates.
package audit
