package cli

import (
	"fmt"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	"github.com/isolate-workloads/isolate-workloads/enforcement"
)

// newPolicyCommand prints the admission policy and binding of a config, the
// same objects the function emits, for applying outside a pipeline.
func newPolicyCommand(stdio IO) *cobra.Command {
	var configPath string
	cmd := &cobra.Command{
		Use:   "policy --config FILE",
		Short: "Print the admission policy that enforces the isolation",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return printPolicy(stdio, configPath)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "the WorkloadIsolation `FILE` (required; alias --fn-config)")
	return cmd
}

func printPolicy(stdio IO, configPath string) error {
	cfg, err := loadConfigFile(configPath)
	if err != nil {
		return err
	}
	if cfg.Spec.Enforcement == nil {
		return usageErrorf("%s has no spec.enforcement; add for example\n  enforcement:\n    validationActions: [Warn]", configPath)
	}
	var objs fn.KubeObjects
	for _, pool := range cfg.Pools() {
		o, err := enforcement.Render(cfg, pool)
		if err != nil {
			return usageErrorf("%v", err)
		}
		objs = append(objs, o...)
	}
	for i, obj := range objs {
		if i > 0 {
			fmt.Fprintln(stdio.Stdout, "---")
		}
		fmt.Fprint(stdio.Stdout, obj.String())
	}
	return nil
}
