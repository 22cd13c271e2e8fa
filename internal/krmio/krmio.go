package krmio

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

const header = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"

// Write writes rl as fn.ResourceList.ToYAML does, with two differences: the
// items keep their order (ToYAML sorts them by apiVersion, kind, namespace
// and name, which puts a Namespace after the Deployments that need it in a
// `| kubectl apply -f -`), and `items: []` is written when there are none
// (kpt rejects a ResourceList without items and then hides its results).
// It encodes the items, the functionConfig and the results in batches, and
// consumes rl: the items' YAML nodes are moved out to be encoded.
//
// ToYAML encodes the whole list as one YAML document, and the YAML encoder
// keeps every event of a document in one slice, which grows with the input
// and is copied and scanned as it grows. Encoding `items:` with a batch of
// entries gives the same text for those entries as encoding it with all of
// them, because block sequence entries are laid out independently; one
// encoder per batch keeps the per-encoder setup cost low as well.
func Write(w io.Writer, rl *fn.ResourceList) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	bw.WriteString(header)
	if len(rl.Items) == 0 {
		bw.WriteString("items: []\n")
	}
	for start := 0; start < len(rl.Items); start += batchSize {
		batch := rl.Items[start:min(start+batchSize, len(rl.Items))]
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
		for _, item := range batch {
			seq.Content = append(seq.Content, item.MoveToResourceNode().YNode())
		}
		if err := encodeField(bw, "items", seq, start > 0); err != nil {
			return err
		}
	}
	if fc := rl.FunctionConfig; fc != nil && !fc.IsEmpty() {
		if err := encodeField(bw, "functionConfig", fc.MoveToResourceNode().YNode(), false); err != nil {
			return err
		}
	}
	for start := 0; start < len(rl.Results); start += batchSize {
		batch := rl.Results[start:min(start+batchSize, len(rl.Results))]
		if err := writeResults(bw, batch, start > 0); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// writeResults writes a batch of results, built directly where it can be,
// else rendered by the SDK.
func writeResults(w io.Writer, batch fn.Results, continuation bool) error {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: yaml.NodeTagSeq}
	for _, r := range batch {
		n, ok := resultNode(r)
		if !ok {
			return writeResultsBySDK(w, batch, continuation)
		}
		seq.Content = append(seq.Content, n)
	}
	return encodeField(w, "results", seq, continuation)
}

func writeResultsBySDK(w io.Writer, batch fn.Results, continuation bool) error {
	text, err := (&fn.ResourceList{Results: batch, FunctionConfig: fn.NewEmptyKubeObject()}).ToYAML()
	if err != nil {
		return err
	}
	rest, ok := bytes.CutPrefix(text, []byte(header))
	if !ok {
		return fmt.Errorf("unexpected results rendering: %.60q", text)
	}
	if continuation {
		rest = bytes.TrimPrefix(rest, []byte("results:\n"))
	}
	_, err = w.Write(rest)
	return err
}

// batchSize is how many items or results are encoded together. The
// encoder's event slice grows with the batch (an event is about 300 bytes),
// and a small batch keeps it in the CPU cache; BENCHMARKS.md has the
// measurements.
const batchSize = 8

// encodeField encodes `key: value` with the encoder settings of the SDK,
// leaving out the `key:` line for a continuation batch.
func encodeField(w io.Writer, key string, value *yaml.Node, continuation bool) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	doc := &yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: yaml.NodeTagString, Value: key}, value,
	}}
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	out := buf.Bytes()
	if continuation {
		out = bytes.TrimPrefix(out, []byte(key+":\n"))
	}
	_, err := w.Write(out)
	return err
}

// Run is fn.Run with Write for the output: it parses the input, runs the
// processor and returns the output ResourceList. A processor that fails
// still gets its results written, and an error is returned.
func Run(p fn.ResourceListProcessor, input []byte) ([]byte, error) {
	return run(p, input, DefaultMaxResources)
}

func run(p fn.ResourceListProcessor, input []byte, maxResources int) ([]byte, error) {
	rl, err := Parse(input)
	if err != nil {
		return nil, err
	}
	if len(rl.Items) > maxResources {
		return nil, fmt.Errorf("the input has %d resources, more than %d; raise %s to process it", len(rl.Items), maxResources, EnvMaxResources)
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

// Limits bound the input, so an oversized one fails with a message instead
// of the process being killed for memory.
type Limits struct {
	MaxInputBytes int64
	MaxResources  int
}

// The default limits, far above what a repository holds and above the
// largest input of BENCHMARKS.md.
const (
	DefaultMaxInputBytes = 2 << 30
	DefaultMaxResources  = 1_000_000
	EnvMaxInputBytes     = "ISOLATE_WORKLOADS_MAX_INPUT_BYTES"
	EnvMaxResources      = "ISOLATE_WORKLOADS_MAX_RESOURCES"
)

// LimitsFromEnv reads the limits from the environment, with the defaults
// for what is unset.
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	l := Limits{MaxInputBytes: DefaultMaxInputBytes, MaxResources: DefaultMaxResources}
	if v := getenv(EnvMaxInputBytes); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive number of bytes", EnvMaxInputBytes, v)
		}
		l.MaxInputBytes = n
	}
	if v := getenv(EnvMaxResources); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return l, fmt.Errorf("%s=%q: want a positive number of resources", EnvMaxResources, v)
		}
		l.MaxResources = n
	}
	return l, nil
}

// Main runs a function the way fn.AsMain does, with Parse and Write:
// ResourceList on stdin, ResourceList on stdout, exit status 1 on failure.
// Input that is not a valid ResourceList still gets a ResourceList on
// stdout, carrying one error result, so orchestrators show the reason and
// never see partial output.
func Main(p fn.ResourceListProcessor, limits Limits, stdin io.Reader, stdout, stderr io.Writer) int {
	input, err := io.ReadAll(io.LimitReader(stdin, limits.MaxInputBytes+1))
	if err != nil {
		return fail(stdout, stderr, fmt.Errorf("reading stdin: %w", err))
	}
	if int64(len(input)) > limits.MaxInputBytes {
		return fail(stdout, stderr, fmt.Errorf("the input is larger than %d bytes; raise %s to process it", limits.MaxInputBytes, EnvMaxInputBytes))
	}
	out, err := run(p, input, limits.MaxResources)
	if out == nil && err != nil {
		return fail(stdout, stderr, fmt.Errorf("invalid input ResourceList: %w", err))
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
