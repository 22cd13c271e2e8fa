package cli

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// newNodePoolCommand prints the pools of a config: the gcloud commands, or
// the emitted objects as YAML (what kustomize drops as local config) or as
// a JSON List.
func newNodePoolCommand(stdio IO) *cobra.Command {
	var configPath, target string
	output := "yaml"
	cmd := &cobra.Command{
		Use:   "nodepool --config FILE [-o gcloud|yaml|json] [--target TARGET]",
		Short: "Print the node pool to create (gcloud commands or objects)",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return nodePool(stdio, configPath, output, target)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&configPath, "config", "", "the WorkloadIsolation `FILE` (required; alias --fn-config)")
	fs.StringVarP(&output, "output", "o", output, "`FORMAT`: gcloud (the gcloud commands), yaml or json (the node-pool objects); alias --format")
	fs.StringVar(&target, "target", "", "only this `TARGET`: "+strings.Join(config.Targets, ", ")+" (default: the config's targets)")
	return cmd
}

func nodePool(stdio IO, configPath, output, target string) error {
	if err := oneOf("output", output, "gcloud", "yaml", "json"); err != nil {
		return err
	}
	cfg, err := loadConfigFile(configPath)
	if err != nil {
		return err
	}
	// nil: each pool's own targets.
	var targets []string
	switch {
	case output == "gcloud":
		if target != "" && target != config.TargetGKEOnAWS {
			return usageErrorf("-o gcloud prints GKE on AWS commands; --target %s has none", target)
		}
		targets = []string{config.TargetGKEOnAWS}
		for _, p := range cfg.Pools() {
			if p.GKEOnAWS == nil {
				return usageErrorf("-o gcloud needs %s in %s", p.Path.Child("gkeOnAWS"), configPath)
			}
		}
	case target != "":
		if !slices.Contains(config.Targets, target) {
			return usageErrorf("--target must be one of %s, not %q", strings.Join(config.Targets, ", "), target)
		}
		targets = []string{target}
	}
	if targets == nil && !slices.ContainsFunc(cfg.Pools(), func(p config.Pool) bool { return len(p.EmittedTargets()) > 0 }) {
		return usageErrorf("%s configures no node-pool target; add one of %s.{%s}", configPath, cfg.Pools()[0].Path, strings.Join(config.TargetFields(), ","))
	}
	// Validation ran for the config's own targets; a --target outside them
	// still needs its block, its required fields and its label rules.
	if targets != nil {
		if errs := cfg.ValidateTargets(targets); len(errs) > 0 {
			return usageErrorf("%s cannot be emitted:\n%s", configPath, formatErrors(errs))
		}
	}
	if output == "gcloud" {
		for _, p := range nodepool.Pools(cfg) {
			fmt.Fprintln(stdio.Stdout, nodepool.GcloudCommand(p.NodePool, p.GKEOnAWS))
		}
		return nil
	}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if output == "json" {
		// A v1 List, as kubectl get -o json prints several objects.
		list := struct {
			APIVersion string            `json:"apiVersion"`
			Kind       string            `json:"kind"`
			Items      []json.RawMessage `json:"items"`
		}{APIVersion: "v1", Kind: "List"}
		for _, e := range emitted {
			data, err := yaml.YAMLToJSON([]byte(e.Object.String()))
			if err != nil {
				return err
			}
			list.Items = append(list.Items, data)
		}
		data, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintln(stdio.Stdout, string(data))
		return nil
	}
	for i, e := range emitted {
		if i > 0 {
			fmt.Fprintln(stdio.Stdout, "---")
		}
		fmt.Fprint(stdio.Stdout, e.Object.String())
	}
	return nil
}
