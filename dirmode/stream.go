package dirmode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

// Input is one YAML stream, and the name results and errors call it by
// (a file's path, or "stdin").
type Input struct {
	Name string
	Data []byte
}

// RunStream runs the processor over YAML streams, each one like a file of
// a package, and writes them as one stream to w: untouched documents byte
// for byte, changed ones spliced, new objects appended, the same as
// `run DIR -o stdout`. When the processor fails nothing is written.
//
// Honest special case: the streams go through a private temporary package
// so they get exactly the machinery of Run (file walk, document split,
// splicing) rather than a second copy of it.
func RunStream(inputs []Input, config *fn.KubeObject, p fn.ResourceListProcessor, w io.Writer) (fn.Results, error) {
	dir, err := os.MkdirTemp("", "isolate-workloads-stream-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// Zero-padded names keep the inputs in their order, and never look like
	// the <kind>_<name>.yaml of a new object.
	var names []string
	for i, in := range inputs {
		rel := fmt.Sprintf("%06d.yaml", i)
		if err := os.WriteFile(filepath.Join(dir, rel), in.Data, 0o600); err != nil {
			return nil, err
		}
		names = append(names, rel, in.Name)
	}
	rename := strings.NewReplacer(names...)
	var out bytes.Buffer
	results, err := Run(dir, config, p, Options{Stdout: &out})
	for _, r := range results {
		if r.File != nil {
			r.File.Path = rename.Replace(r.File.Path)
		}
	}
	if err != nil {
		msg := strings.Replace(rename.Replace(err.Error()), "no file was changed", "nothing was written", 1)
		return results, errors.New(msg)
	}
	_, err = w.Write(out.Bytes())
	return results, err
}
