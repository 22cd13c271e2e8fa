package cli

import (
	"fmt"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	"github.com/isolate-workloads/isolate-workloads/dirmode"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// newRunCommand runs the function over a package directory, as
// `kpt fn eval DIR --exec isolate-workloads --fn-config CONFIG` would.
func newRunCommand(stdio IO) *cobra.Command {
	var configPath, output string
	cmd := &cobra.Command{
		Use:   "run DIR --config FILE [-o stdout]",
		Short: "Run over a package directory in place (like kpt fn eval)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("want exactly one package directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return runOnPackage(stdio, args[0], configPath, output)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&configPath, "config", "", "the WorkloadIsolation `FILE` (required; alias --fn-config)")
	fs.StringVarP(&output, "output", "o", "", "`WHERE` the package goes: stdout prints it instead of rewriting it in place; alias --format")
	return cmd
}

func runOnPackage(stdio IO, dir, configPath, output string) error {
	if output != "" && output != "stdout" {
		return usageErrorf("-o/--output must be stdout, or absent to rewrite the package in place")
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return usageErrorf("%s is not a directory", dir)
	}
	cfg, err := loadConfigObject(configPath)
	if err != nil {
		return err
	}
	opts := dirmode.Options{}
	if output == "stdout" {
		opts.Stdout = stdio.Stdout
	}
	results, err := dirmode.Run(dir, cfg, fn.ResourceListProcessorFunc(transformer.Run), opts)
	pointConfigResults(results, cfg, configPath)
	for _, r := range results {
		fmt.Fprintln(stdio.Stderr, resultLine(r))
	}
	if err != nil {
		return failedf("%v", err)
	}
	return nil
}

// pointConfigResults makes the results about the config point at its file.
func pointConfigResults(results fn.Results, cfg *fn.KubeObject, configPath string) {
	for _, r := range results {
		if ref := r.ResourceRef; r.File == nil && ref != nil && ref.APIVersion == cfg.GetAPIVersion() && ref.Kind == cfg.GetKind() && ref.Name == cfg.GetName() {
			r.File = &fn.File{Path: configPath}
		}
	}
}

// resultLine prints a result as the SDK does, after the file it is about:
// "deploy.yaml: [info] apps/v1/Deployment/web ...", and
// "all.yaml (document 3): ..." for a file of several documents.
func resultLine(r *fn.Result) string {
	if r.File == nil || r.File.Path == "" {
		return r.String()
	}
	where := r.File.Path
	if r.File.Index > 0 {
		where += fmt.Sprintf(" (document %d)", r.File.Index+1)
	}
	return where + ": " + r.String()
}
