package cli

import (
	"bytes"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/placement"
	"github.com/isolate-workloads/isolate-workloads/verify"
)

// newVerifyCommand checks a cluster's pods and nodes against the config.
func newVerifyCommand(stdio IO) *cobra.Command {
	var configPath string
	var states []string
	output := "table"
	cmd := &cobra.Command{
		Use:   "verify --config FILE [--cluster-state FILE ...] [-o table|json|yaml]",
		Short: "Check a cluster's pods and nodes (kubectl get pods,nodes -A -o json)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return verifyCluster(stdio, configPath, states, output)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&configPath, "config", "", "the WorkloadIsolation `FILE` the pipeline uses (required; alias --fn-config)")
	fs.StringArrayVar(&states, "cluster-state", nil, "`FILE` of `kubectl get pods,nodes -A -o json` output; repeat for separate files (default: stdin)")
	fs.StringVarP(&output, "output", "o", output, "`FORMAT`: table, json or yaml; alias --format")
	return cmd
}

func verifyCluster(stdio IO, configPath string, states []string, output string) error {
	if err := oneOf("output", output, "table", "json", "yaml"); err != nil {
		return err
	}
	cfg, err := loadConfigFile(configPath)
	if err != nil {
		return err
	}
	var state verify.ClusterState
	if len(states) == 0 {
		if err := verify.Decode(stdio.Stdin, "stdin", &state); err != nil {
			return usageErrorf("%v", err)
		}
	}
	for _, path := range states {
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
	if err := state.Check(); err != nil {
		return usageErrorf("%v", err)
	}
	pool, _ := placement.FromConfig(cfg)
	report := verify.Verify(pool, &state)
	if err := writeReport(stdio, report, output); err != nil {
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
