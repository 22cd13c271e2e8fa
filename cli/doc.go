// Package cli implements the isolate-workloads subcommands; main only dispatches to it.
package cli
