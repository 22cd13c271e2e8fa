// Package configtest loads WorkloadIsolation configs for tests.
package configtest
