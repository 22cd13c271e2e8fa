package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/nodepool"
)

// nodePoolCommand prints the pools of a config: the gcloud commands, or the
// emitted objects as YAML (what kustomize drops as local config).
func nodePoolCommand(args []string, stdio IO) int {
	fs, fail := newCommand("nodepool", stdio)
	configPath := fs.String("config", "", "the WorkloadIsolation file (required)")
	format := fs.String("format", "yaml", "gcloud: the gcloud commands; yaml: the node-pool objects")
	target := fs.String("target", "", "only this target: "+strings.Join(config.Targets, ", ")+" (default: the config's targets)")
	if err := fs.Parse(args); err != nil {
		return ExitBadInput
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfigFile(*configPath)
	if err != nil {
		return fail("%v", err)
	}
	targets := cfg.Spec.NodePool.EmittedTargets()
	switch {
	case *format == "gcloud":
		if *target != "" && *target != config.TargetGKEOnAWS {
			return fail("--format gcloud prints GKE on AWS commands; --target %s has none", *target)
		}
		targets = []string{config.TargetGKEOnAWS}
		if cfg.Spec.NodePool.GKEOnAWS == nil {
			return fail("--format gcloud needs spec.nodePool.gkeOnAWS in %s", *configPath)
		}
	case *format != "yaml":
		return fail("--format must be gcloud or yaml, not %q", *format)
	case *target != "":
		if !slices.Contains(config.Targets, *target) {
			return fail("--target must be one of %s, not %q", strings.Join(config.Targets, ", "), *target)
		}
		targets = []string{*target}
	}
	if len(targets) == 0 {
		return fail("%s configures no node-pool target; add one of spec.nodePool.{%s}", *configPath, strings.Join(config.TargetFields(), ","))
	}
	if errs := nodepool.Check(cfg, targets); len(errs) > 0 {
		return fail("%s cannot be emitted:\n%s", *configPath, formatErrors(errs))
	}
	// Validation ran for the config's own targets; a --target outside them
	// still needs its block and required fields.
	if errs := config.ValidateTargets(cfg.Spec.NodePool, targets); len(errs) > 0 {
		return fail("%s cannot be emitted:\n%s", *configPath, formatErrors(errs))
	}
	if *format == "gcloud" {
		for _, p := range nodepool.Pools(cfg) {
			fmt.Fprintln(stdio.Stdout, nodepool.GcloudCommand(p.NodePool, p.GKEOnAWS))
		}
		return ExitOK
	}
	emitted, err := nodepool.Render(cfg, targets)
	if err != nil {
		return fail("%v", err)
	}
	for i, e := range emitted {
		if i > 0 {
			fmt.Fprintln(stdio.Stdout, "---")
		}
		fmt.Fprint(stdio.Stdout, e.Object.String())
	}
	return ExitOK
}
