package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/isolate-workloads/isolate-workloads/config"
)

// Exit codes shared by the subcommands.
const (
	ExitOK        = 0
	ExitFindings  = 1
	ExitBadInput  = 2
	usageTemplate = `isolate-workloads pins chosen workloads to a dedicated, tainted node pool.

Usage:
  isolate-workloads                   run as a KRM function (ResourceList on stdin and stdout)
  isolate-workloads run ...           run over a package directory in place (like kpt fn eval)
  isolate-workloads nodepool ...      print the node pool to create (gcloud command or objects)
  isolate-workloads policy ...        print the admission policy that enforces the isolation
  isolate-workloads verify ...        check a cluster's pods and nodes (--kubeconfig, --in-cluster, or kubectl get pods,nodes -A -o json)
  isolate-workloads version           print the version

Run 'isolate-workloads COMMAND -h' for a command's flags.
`
)

// IO is where a command reads and writes.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Main runs a subcommand and returns the process exit code.
func Main(version string, args []string, stdio IO) int {
	if len(args) == 0 {
		fmt.Fprint(stdio.Stderr, usageTemplate)
		return ExitBadInput
	}
	switch args[0] {
	case "version", "--version":
		fmt.Fprintln(stdio.Stdout, version)
		return ExitOK
	case "help", "-h", "--help":
		fmt.Fprint(stdio.Stdout, usageTemplate)
		return ExitOK
	case "nodepool":
		return nodePoolCommand(args[1:], stdio)
	case "verify":
		return verifyCommand(args[1:], stdio)
	case "policy":
		return policyCommand(args[1:], stdio)
	case "run":
		return runCommand(args[1:], stdio)
	}
	fmt.Fprintf(stdio.Stderr, "unknown command %q\n\n%s", args[0], usageTemplate)
	return ExitBadInput
}

// newCommand returns a subcommand's flag set, and the function that reports
// bad input: a message on stderr and exit status 2.
func newCommand(name string, stdio IO) (*flag.FlagSet, func(format string, a ...any) int) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdio.Stderr)
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stdio.Stderr, "isolate-workloads "+name+": "+format+"\n", a...)
		return ExitBadInput
	}
	return fs, fail
}

// loadConfigFile reads the same config file a pipeline uses.
func loadConfigFile(path string) (*config.WorkloadIsolation, error) {
	if path == "" {
		return nil, fmt.Errorf("--config is required: the WorkloadIsolation file the pipeline uses")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	obj, err := fn.ParseKubeObject(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg, errs := config.LoadWithLines(obj)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s is not a valid config:\n%s", path, formatErrors(errs))
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
