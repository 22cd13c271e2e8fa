// Package cli implements the isolate-workloads subcommands on cobra, as kubectl's are; main only dispatches to it, and function mode never builds them.
package cli
