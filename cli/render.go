package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"github.com/spf13/cobra"

	"github.com/isolate-workloads/isolate-workloads/dirmode"
	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// newRenderCommand is stream mode: multi-document YAML in, the same
// documents isolated out. It is what a Helm post-renderer runs, and what
// `helm template ... | isolate-workloads render --config F` pipes through.
func newRenderCommand(stdio IO) *cobra.Command {
	var configPath string
	var files []string
	output := "text"
	cmd := &cobra.Command{
		Use:   "render --config FILE [-f FILE ...] [-o text|json]",
		Short: "Isolate a multi-document YAML stream (stdin or -f) onto stdout; for Helm post-renderers and pipes",
		Long: `render reads multi-document YAML (stdin, or -f FILE, repeatable, - for stdin)
and writes it to stdout with the chosen workloads isolated: the same selection,
placement, node-pool emission and audit as the function. Documents keep their
order, comments and --- separators; documents the function leaves alone are
written byte for byte. The results go to stderr, as text or (-o json) JSON.

On any error nothing is written to stdout, and the exit status is 1
(2 for bad flags or an unreadable --config or -f file).`,
		Example: `  helm template my-release ./chart | isolate-workloads render --config isolation.yaml
  helm install my-release ./chart --post-renderer isolate-workloads \
    --post-renderer-args render --post-renderer-args --config=isolation.yaml
  isolate-workloads render -f deploy.yaml -f cronjob.yaml --config isolation.yaml`,
		Args: noArgs,
		RunE: func(*cobra.Command, []string) error {
			return renderStream(stdio, configPath, files, output)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&configPath, "config", "", "the WorkloadIsolation `FILE` (required; alias --fn-config)")
	fs.StringArrayVarP(&files, "filename", "f", nil, "`FILE` of YAML documents to read, repeatable; - is stdin (default: stdin)")
	fs.StringVarP(&output, "output", "o", output, "`FORMAT` of the results on stderr: text or json; alias --format")
	return cmd
}

func renderStream(stdio IO, configPath string, files []string, output string) error {
	if err := oneOf("output", output, "text", "json"); err != nil {
		return err
	}
	cfg, err := loadConfigObject(configPath)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	var inputs []dirmode.Input
	stdinRead := false
	for _, path := range files {
		var data []byte
		var err error
		name := path
		if path == "-" {
			if stdinRead {
				return usageErrorf("-f - is given twice; stdin can be read once")
			}
			stdinRead, name = true, "stdin"
			data, err = io.ReadAll(stdio.Stdin)
		} else {
			data, err = os.ReadFile(path)
		}
		if err != nil {
			return usageErrorf("%v", err)
		}
		inputs = append(inputs, dirmode.Input{Name: name, Data: data})
	}
	// The stream is buffered, so a failure leaves stdout empty.
	var out bytes.Buffer
	results, err := dirmode.RunStream(inputs, cfg, fn.ResourceListProcessorFunc(isolateForApply), &out)
	pointConfigResults(results, cfg, configPath)
	if werr := writeResults(stdio, results, output); werr != nil && err == nil {
		err = werr
	}
	if err != nil {
		return failedf("%v", err)
	}
	_, err = stdio.Stdout.Write(out.Bytes())
	return err
}

// isolateForApply is the function for a stream that goes to Helm or
// kubectl apply: new local-config objects (the GKE on AWS request, which is
// no Kubernetes kind) stay out of it, as kustomize keeps them out of its
// output, with a result saying where to get them.
func isolateForApply(rl *fn.ResourceList) (bool, error) {
	n := len(rl.Items)
	ok, err := transformer.Run(rl)
	if !ok || err != nil {
		return ok, err
	}
	kept := rl.Items[:n]
	for _, obj := range rl.Items[n:] {
		if !obj.IsLocalConfig() {
			kept = append(kept, obj)
			continue
		}
		r := fn.ConfigObjectResult("not written to the stream: local config, which a cluster does not accept; print it with `isolate-workloads nodepool --config FILE`", obj, fn.Info)
		rl.Results = append(rl.Results, r)
	}
	rl.Items = kept
	return true, nil
}

// writeResults puts the results on stderr: a line each, as `run` prints
// them, or the JSON list the function would put in its ResourceList.
func writeResults(stdio IO, results fn.Results, output string) error {
	if output == "json" {
		if results == nil {
			results = fn.Results{}
		}
		data, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdio.Stderr, string(data))
		return err
	}
	for _, r := range results {
		fmt.Fprintln(stdio.Stderr, resultLine(r))
	}
	return nil
}
