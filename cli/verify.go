package cli

import (
	"context"
	"os"
	"strings"

	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/verify"
	"github.com/isolate-workloads/isolate-workloads/verify/live"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// verifyCommand checks a cluster's pods and nodes against the config.
func verifyCommand(args []string, stdio IO) int {
	fs, fail := newCommand("verify", stdio)
	configPath := fs.String("config", "", "the WorkloadIsolation file the pipeline uses (required)")
	var states stringList
	fs.Var(&states, "cluster-state", "`kubectl get pods,nodes -A -o json` output; repeat for separate files (default: stdin)")
	var source live.Source
	fs.StringVar(&source.Kubeconfig, "kubeconfig", "", "read pods and nodes from the cluster of this kubeconfig file instead of a dump")
	fs.StringVar(&source.Context, "context", "", "with --kubeconfig: the context to use (default: the file's current context)")
	fs.BoolVar(&source.InCluster, "in-cluster", false, "read pods and nodes with the ServiceAccount of the Pod this runs in")
	output := fs.String("o", "table", "output format: table or json")
	if err := fs.Parse(args); err != nil {
		return ExitBadInput
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	fromAPI := source.Kubeconfig != "" || source.InCluster
	switch {
	case source.Context != "" && source.Kubeconfig == "":
		return fail("--context needs --kubeconfig")
	case source.InCluster && source.Kubeconfig != "":
		return fail("--in-cluster and --kubeconfig exclude each other")
	case fromAPI && len(states) > 0:
		return fail("--cluster-state reads a dump; it excludes --kubeconfig and --in-cluster")
	}
	if *output != "table" && *output != "json" {
		return fail("-o must be table or json, not %q", *output)
	}
	cfg, err := loadConfigFile(*configPath)
	if err != nil {
		return fail("%v", err)
	}
	var state verify.ClusterState
	if fromAPI {
		read, err := live.Read(context.Background(), source)
		if err != nil {
			return fail("%v", err)
		}
		state = *read
	} else if len(states) == 0 {
		if err := verify.Decode(stdio.Stdin, "stdin", &state); err != nil {
			return fail("%v", err)
		}
	}
	for _, path := range states {
		f, err := os.Open(path)
		if err != nil {
			return fail("%v", err)
		}
		err = verify.Decode(f, path, &state)
		f.Close()
		if err != nil {
			return fail("%v", err)
		}
	}
	// A dump can be incomplete (pods without their nodes, or no pods at
	// all); the API's lists are the cluster itself, where an empty list is
	// a fact and not bad input.
	if !fromAPI {
		if err := state.Check(); err != nil {
			return fail("%v", err)
		}
	}
	pool, _ := placement.FromConfig(cfg)
	report := verify.Verify(pool, &state)
	if *output == "json" {
		err = report.WriteJSON(stdio.Stdout)
	} else {
		err = report.WriteTable(stdio.Stdout)
	}
	if err != nil {
		return fail("%v", err)
	}
	if !report.Clean() {
		return ExitFindings
	}
	return ExitOK
}
