package krmio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
)

const header = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"

// Write writes rl exactly as fn.ResourceList.ToYAML does, but encodes each
// item, the functionConfig and the results on their own.
//
// ToYAML encodes the whole list as one YAML document, and the YAML encoder
// keeps every event of a document in one growing slice: at 10k resources
// that slice alone takes hundreds of megabytes and its copies and GC scans
// dominate the run. A block mapping nested under `- ` or a key differs from
// the same mapping at the top level only by its indentation (the encoder's
// line width is unlimited), so each piece is encoded alone and indented.
func Write(w io.Writer, rl *fn.ResourceList) error {
	sortItems(rl.Items)
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(header)
	if len(rl.Items) > 0 {
		bw.WriteString("items:\n")
		for _, item := range rl.Items {
			text := item.String()
			if strings.HasPrefix(text, "#") {
				// Where a leading comment goes (before or after "- ") depends
				// on the node it hangs on, which only the sequence's own
				// encoding gets right: let the SDK write this one item.
				one, err := (&fn.ResourceList{Items: fn.KubeObjects{item}, FunctionConfig: fn.NewEmptyKubeObject()}).ToYAML()
				if err != nil {
					return err
				}
				bw.Write(bytes.TrimPrefix(one, []byte(header+"items:\n")))
				continue
			}
			writeIndented(bw, text, "- ", "  ")
		}
	}
	if fc := rl.FunctionConfig; fc != nil && !fc.IsEmpty() {
		if text := fc.String(); strings.HasPrefix(text, "#") {
			one, err := (&fn.ResourceList{FunctionConfig: fc}).ToYAML()
			if err != nil {
				return err
			}
			bw.Write(bytes.TrimPrefix(one, []byte(header)))
		} else {
			bw.WriteString("functionConfig:\n")
			writeIndented(bw, text, "  ", "  ")
		}
	}
	if len(rl.Results) > 0 {
		bw.WriteString("results:\n")
		// The SDK owns how a result is written; take its own rendering, a
		// batch at a time for the same reason items are encoded one by one.
		for start := 0; start < len(rl.Results); start += resultsBatch {
			batch := rl.Results[start:min(start+resultsBatch, len(rl.Results))]
			text, err := (&fn.ResourceList{Results: batch, FunctionConfig: fn.NewEmptyKubeObject()}).ToYAML()
			if err != nil {
				return err
			}
			rest, ok := bytes.CutPrefix(text, []byte(header+"results:\n"))
			if !ok {
				return fmt.Errorf("unexpected results rendering: %.60q", text)
			}
			bw.Write(rest)
		}
	}
	return bw.Flush()
}

// resultsBatch is how many results are encoded together.
const resultsBatch = 256

// writeIndented writes a standalone YAML block with its first line after
// first and every other non-empty line after rest.
func writeIndented(w *bufio.Writer, block, first, rest string) {
	lines := strings.SplitAfter(block, "\n")
	for i, line := range lines {
		if line == "" {
			continue
		}
		switch {
		case i == 0:
			w.WriteString(first)
		case line != "\n":
			w.WriteString(rest)
		}
		w.WriteString(line)
	}
}

// Run is fn.Run with Write for the output: it parses the input, runs the
// processor and returns the output ResourceList. A processor that fails
// still gets its results written, and an error is returned.
func Run(p fn.ResourceListProcessor, input []byte) ([]byte, error) {
	rl, err := fn.ParseResourceList(input)
	if err != nil {
		return nil, err
	}
	ok, fnErr := p.Process(rl)
	var out bytes.Buffer
	if err := Write(&out, rl); err != nil {
		return nil, err
	}
	if fnErr != nil {
		return out.Bytes(), fnErr
	}
	if !ok {
		return out.Bytes(), fmt.Errorf("function failed; see the results")
	}
	return out.Bytes(), nil
}

// Main runs a function the way fn.AsMain does, with Write for the output:
// ResourceList on stdin, ResourceList on stdout, exit status 1 on failure.
// Input that is not a ResourceList still gets a ResourceList on stdout,
// carrying one error result, so orchestrators show the reason and never
// see partial output.
func Main(p fn.ResourceListProcessor, stdin io.Reader, stdout, stderr io.Writer) int {
	input, err := io.ReadAll(stdin)
	if err != nil {
		return fail(stdout, stderr, fmt.Errorf("reading stdin: %w", err))
	}
	out, err := Run(p, input)
	if out == nil && err != nil {
		return fail(stdout, stderr, fmt.Errorf("the input is not a valid ResourceList: %w", err))
	}
	if _, werr := stdout.Write(out); werr != nil {
		fmt.Fprintf(stderr, "writing stdout: %v\n", werr)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return 1
	}
	return 0
}

func fail(stdout, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%v\n", err)
	rl := &fn.ResourceList{FunctionConfig: fn.NewEmptyKubeObject(), Results: fn.Results{fn.ErrorResult(err)}}
	_ = Write(stdout, rl)
	return 1
}

// keyedItems sorts items as fn.ResourceList.Sort does, with each item's key
// computed once instead of twice per comparison. sort.Sort is not stable, so
// the same algorithm with the same comparisons is what keeps the order of
// items with equal keys identical to the SDK's.
type keyedItems struct {
	items fn.KubeObjects
	keys  []string
}

func (k keyedItems) Len() int           { return len(k.items) }
func (k keyedItems) Less(i, j int) bool { return k.keys[i] < k.keys[j] }
func (k keyedItems) Swap(i, j int) {
	k.items[i], k.items[j] = k.items[j], k.items[i]
	k.keys[i], k.keys[j] = k.keys[j], k.keys[i]
}

func sortItems(items fn.KubeObjects) {
	keys := make([]string, len(items))
	for i, o := range items {
		keys[i] = o.GetAPIVersion() + " " + o.GetKind() + " " + o.GetNamespace() + " " + o.GetName()
	}
	sort.Sort(keyedItems{items: items, keys: keys})
}
