package cli

import (
	"fmt"

	"github.com/isolate-workloads/isolate-workloads/enforcement"
)

// policyCommand prints the admission policy and binding of a config, the
// same objects the function emits, for applying outside a pipeline.
func policyCommand(args []string, stdio IO) int {
	fs, fail := newCommand("policy", stdio)
	configPath := fs.String("config", "", "the WorkloadIsolation file (required)")
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
	if cfg.Spec.Enforcement == nil {
		return fail("%s has no spec.enforcement; add for example\n  enforcement:\n    validationActions: [Warn]", *configPath)
	}
	objs, err := enforcement.Render(cfg)
	if err != nil {
		return fail("%v", err)
	}
	for i, obj := range objs {
		if i > 0 {
			fmt.Fprintln(stdio.Stdout, "---")
		}
		fmt.Fprint(stdio.Stdout, obj.String())
	}
	return ExitOK
}
