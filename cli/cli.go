package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// Exit codes shared by the subcommands.
const (
	ExitOK       = 0
	ExitFindings = 1
	ExitBadInput = 2
)

// IO is where a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// exitError carries a subcommand's exit status through cobra. A nil err
// means the command has already said everything (verify's findings).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// usageErrorf is bad input from the user: a flag, an argument, a config
// file. It exits 2.
func usageErrorf(format string, a ...any) error {
	return &exitError{code: ExitBadInput, err: fmt.Errorf(format, a...)}
}

// failedf is the function or a check failing on input it could read. It
// exits 1.
func failedf(format string, a ...any) error {
	return &exitError{code: ExitFindings, err: fmt.Errorf(format, a...)}
}

// Main runs a subcommand and returns the process exit code. Function mode
// (no arguments) never comes here, so its startup does not build commands.
func Main(version string, args []string, stdio IO) int {
	root := newRootCommand(version, args, stdio)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.err != nil {
			fmt.Fprintf(stdio.Stderr, "%s: %v\n", cmd.CommandPath(), exit.err)
		}
		return exit.code
	}
	// cobra's own errors (an unknown command, with its "Did you mean")
	// are usage errors.
	fmt.Fprintf(stdio.Stderr, "%s: %s\n", cmd.CommandPath(), strings.TrimRight(err.Error(), "\n"))
	fmt.Fprintf(stdio.Stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	return ExitBadInput
}

func newRootCommand(version string, args []string, stdio IO) *cobra.Command {
	root := &cobra.Command{
		Use:   "isolate-workloads",
		Short: "Pin chosen workloads to a dedicated, tainted node pool",
		Long: `isolate-workloads pins chosen workloads to a dedicated, tainted node pool.

With no arguments it is a KRM function: a ResourceList on stdin, one on
stdout (kpt, kustomize, or 'kpt fn source DIR | isolate-workloads').`,
		Version:       versionInfo(version).Version,
		SilenceErrors: true,
		SilenceUsage:  true,
		// No Run and no Args: cobra then answers an unknown command with
		// its "Did you mean" suggestions.
	}
	root.SetIn(stdio.Stdin)
	root.SetOut(stdio.Stdout)
	root.SetErr(stdio.Stderr)
	root.SetGlobalNormalizationFunc(flagAliases)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(
		newRunCommand(stdio),
		newRenderCommand(stdio),
		newNodePoolCommand(stdio),
		newVerifyCommand(args, stdio),
		newPolicyCommand(stdio),
		newVersionCommand(version, stdio),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		// Each Use line names its flags already.
		c.DisableFlagsInUseLine = true
		if c.Name() == "completion" {
			c.Args, c.RunE = cobra.ArbitraryArgs, unknownSubcommand
		}
	}
	return root
}

// unknownSubcommand answers a command made only of subcommands
// (completion) as cobra answers the root: an unknown one is a usage error
// with suggestions, not its help with status 0.
func unknownSubcommand(c *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usageErrorf("name one of its commands; see '%s --help'", c.CommandPath())
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
	c.SuggestionsMinimumDistance = 2 // cobra's default, set only on the root it suggests for
	if s := c.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return usageErrorf("%s\nRun '%s --help' for usage.", msg, c.CommandPath())
}

// aliases are the other names a flag answers to: --format from before
// -o/--output, and --fn-config as kpt fn eval spells it.
var aliases = map[string]string{
	"format":    "output",
	"fn-config": "config",
}

func flagAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	if canonical, ok := aliases[name]; ok {
		return pflag.NormalizedName(canonical)
	}
	return pflag.NormalizedName(name)
}

// flagError makes a flag cobra cannot parse a usage error, with the
// command's nearest flags as suggestions.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := suggestFlags(cmd, name); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t--" + strings.Join(s, "\n\t--")
		}
	}
	return usageErrorf("%s\nRun '%s --help' for usage.", msg, cmd.CommandPath())
}

// suggestFlags names the command's flags within two edits of name, or
// starting with it, as cobra does for commands.
func suggestFlags(cmd *cobra.Command, name string) []string {
	var out []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		if levenshtein.ComputeDistance(name, f.Name) <= 2 || strings.HasPrefix(f.Name, name) {
			out = append(out, f.Name)
		}
	})
	return out
}

// loadConfigObject reads the config file a pipeline uses, as the object
// the function gets; the function validates it.
func loadConfigObject(path string) (*fn.KubeObject, error) {
	if path == "" {
		return nil, usageErrorf("--config is required: the WorkloadIsolation file the pipeline uses")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	obj, err := fn.ParseKubeObject(data)
	if err != nil {
		return nil, usageErrorf("%s: %v", path, err)
	}
	return obj, nil
}

// loadConfigFile reads and validates the config file a pipeline uses.
func loadConfigFile(path string) (*config.WorkloadIsolation, error) {
	obj, err := loadConfigObject(path)
	if err != nil {
		return nil, err
	}
	cfg, errs := config.LoadWithLines(obj)
	if len(errs) > 0 {
		return nil, usageErrorf("%s is not a valid config:\n%s", path, formatErrors(errs))
	}
	return cfg, nil
}

func formatErrors(errs field.ErrorList) string {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = "  " + e.Error()
	}
	return strings.Join(lines, "\n")
}

// noArgs rejects arguments with the usage error every subcommand without
// operands gives.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("unexpected argument %q", args[0])
	}
	return nil
}

// oneOf checks an enumerated flag value.
func oneOf(flag, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return usageErrorf("-o/--%s must be %s, not %q", flag, strings.Join(allowed, ", "), value)
}
