// Package enforcement checks the admission policy with the API server's own CEL code, in process: every expression compiles in the admission environment, and the policy decides pods as the audit does.
package enforcement
