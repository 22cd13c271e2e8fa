package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/verify"
)

// verifyOptions are verify's flags.
type verifyOptions struct {
	configPath string
	states     []string
	source     LiveSource
	output     string
	// args is the whole command line, for the live binary.
	args []string
}

// newVerifyCommand checks a cluster's pods and nodes against the config.
// args is the command line Main was given.
func newVerifyCommand(args []string, stdio IO) *cobra.Command {
	o := verifyOptions{output: "table", args: args}
	cmd := &cobra.Command{
		Use:   "verify --config FILE [--cluster-state FILE ... | --kubeconfig FILE [--context NAME] | --in-cluster] [-o table|json|yaml]",
		Short: "Check a cluster's pods and nodes (--kubeconfig, --in-cluster, or kubectl get pods,nodes -A -o json)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return verifyCluster(stdio, o)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&o.configPath, "config", "", "the WorkloadIsolation `FILE` the pipeline uses (required; alias --fn-config)")
	fs.StringArrayVar(&o.states, "cluster-state", nil, "`FILE` of `kubectl get pods,nodes -A -o json` output; repeat for separate files (default: stdin)")
	fs.StringVar(&o.source.Kubeconfig, "kubeconfig", "", "read pods and nodes from the cluster of this kubeconfig `FILE` instead of a dump")
	fs.StringVar(&o.source.Context, "context", "", "with --kubeconfig: the context `NAME` to use (default: the file's current context)")
	fs.BoolVar(&o.source.InCluster, "in-cluster", false, "read pods and nodes with the ServiceAccount of the Pod this runs in")
	fs.StringVarP(&o.output, "output", "o", o.output, "`FORMAT`: table, json or yaml; alias --format")
	return cmd
}

func verifyCluster(stdio IO, o verifyOptions) error {
	fromAPI := o.source.Kubeconfig != "" || o.source.InCluster
	switch {
	case o.source.Context != "" && o.source.Kubeconfig == "":
		return usageErrorf("--context needs --kubeconfig")
	case o.source.InCluster && o.source.Kubeconfig != "":
		return usageErrorf("--in-cluster and --kubeconfig exclude each other")
	case fromAPI && len(o.states) > 0:
		return usageErrorf("--cluster-state reads a dump; it excludes --kubeconfig and --in-cluster")
	}
	if err := oneOf("output", o.output, "table", "json", "yaml"); err != nil {
		return err
	}
	cfg, err := loadConfigFile(o.configPath)
	if err != nil {
		return err
	}
	if fromAPI && liveRead == nil {
		return delegateLive(o.args, stdio)
	}
	var state verify.ClusterState
	if fromAPI {
		read, err := liveRead(context.Background(), o.source)
		if err != nil {
			return usageErrorf("%v", err)
		}
		state = *read
	} else if len(o.states) == 0 {
		if err := verify.Decode(stdio.Stdin, "stdin", &state); err != nil {
			return usageErrorf("%v", err)
		}
	}
	for _, path := range o.states {
		f, err := os.Open(path)
		if err != nil {
			return usageErrorf("%v", err)
		}
		err = verify.Decode(f, path, &state)
		f.Close()
		if err != nil {
			return usageErrorf("%v", err)
		}
	}
	// A dump can be incomplete (pods without their nodes, or no pods at
	// all); the API's lists are the cluster itself, where an empty list is
	// a fact and not bad input.
	if !fromAPI {
		if err := state.Check(); err != nil {
			return usageErrorf("%v", err)
		}
	}
	report := verify.Verify(placement.PoolsOf(cfg), &state)
	if err := writeReport(stdio, report, o.output); err != nil {
		return err
	}
	if !report.Clean() {
		return &exitError{code: ExitFindings}
	}
	return nil
}

func writeReport(stdio IO, report *verify.Report, output string) error {
	switch output {
	case "json":
		return report.WriteJSON(stdio.Stdout)
	case "yaml":
		// The JSON's field names, as kubectl -o yaml prints an object's.
		var buf bytes.Buffer
		if err := report.WriteJSON(&buf); err != nil {
			return err
		}
		data, err := yaml.JSONToYAML(buf.Bytes())
		if err != nil {
			return fmt.Errorf("writing the report as YAML: %w", err)
		}
		_, err = stdio.Stdout.Write(data)
		return err
	}
	return report.WriteTable(stdio.Stdout)
}
