package cli

import (
	"fmt"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/dirmode"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// runCommand runs the function over a package directory, as
// `kpt fn eval DIR --exec isolate-workloads --fn-config CONFIG` would.
func runCommand(args []string, stdio IO) int {
	fs, fail := newCommand("run", stdio)
	configPath := fs.String("config", "", "the WorkloadIsolation file (required)")
	output := fs.String("o", "", "stdout: print the package instead of rewriting it in place")
	if err := fs.Parse(args); err != nil {
		return ExitBadInput
	}
	if fs.NArg() != 1 {
		return fail("want exactly one package directory, got %d arguments", fs.NArg())
	}
	if *output != "" && *output != "stdout" {
		return fail("-o must be stdout, or absent to rewrite the package in place")
	}
	dir := fs.Arg(0)
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fail("%s is not a directory", dir)
	}
	if *configPath == "" {
		return fail("--config is required: the WorkloadIsolation file")
	}
	data, err := os.ReadFile(*configPath)
	if err != nil {
		return fail("%v", err)
	}
	cfg, err := fn.ParseKubeObject(data)
	if err != nil {
		return fail("%s: %v", *configPath, err)
	}
	opts := dirmode.Options{}
	if *output == "stdout" {
		opts.Stdout = stdio.Stdout
	}
	results, err := dirmode.Run(dir, cfg, fn.ResourceListProcessorFunc(transformer.Run), opts)
	for _, r := range results {
		// Results about the config point at its file.
		if ref := r.ResourceRef; r.File == nil && ref != nil && ref.APIVersion == cfg.GetAPIVersion() && ref.Kind == cfg.GetKind() && ref.Name == cfg.GetName() {
			r.File = &fn.File{Path: *configPath}
		}
		fmt.Fprintln(stdio.Stderr, resultLine(r))
	}
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "isolate-workloads run: %v\n", err)
		return ExitFindings
	}
	return ExitOK
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
