package dirmode

import (
	"bytes"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Options says where the result goes.
type Options struct {
	// Stdout, when set, receives the whole package as a YAML stream and no
	// file is written.
	Stdout io.Writer
}

// Run runs the processor over the package in dir, as `kpt fn eval` would.
// It writes back only the files with a changed document, and in them only
// the changed documents; every other byte stays as it was. When the
// processor fails, nothing is written and its results are returned with the
// error.
//
// It relies on what the processor promises: it keeps the items it is given
// in their order, replacing some in place, and only appends new ones.
func Run(dir string, config *fn.KubeObject, p fn.ResourceListProcessor, opts Options) (fn.Results, error) {
	paths, links, err := packageFiles(dir)
	if err != nil {
		return nil, err
	}
	var notices fn.Results
	for _, rel := range links {
		notices = append(notices, fileResult(rel, -1, fn.Warning,
			"skipped: a symbolic link, which directory mode neither follows nor writes through; whatever it points to is not isolated here. "+
				"Run on the package that holds the target, or replace the link with the file"))
	}
	var files []*file
	var docs []*chunk
	var before []uint64
	var locations []location
	rl := &fn.ResourceList{FunctionConfig: config}
	for _, rel := range paths {
		f, err := readFile(dir, rel)
		if err != nil {
			return notices, err
		}
		files = append(files, f)
		for _, c := range f.chunks {
			if c.node == nil {
				continue
			}
			if c.node.GetApiVersion() == "" || c.node.GetKind() == "" {
				// kpt refuses such a package; its other objects can still be isolated.
				notices = append(notices, fileResult(rel, c.index, fn.Warning,
					"skipped: this document has no apiVersion or kind, so it is not a Kubernetes object and nothing in it is isolated or audited; it is left as it is"))
				continue
			}
			docs = append(docs, c)
			root := c.node.YNode()
			before = append(before, hashNode(root))
			locations = append(locations, annotate(root, rel, c.index))
			rl.Items = append(rl.Items, fn.MoveToKubeObject(yaml.NewRNode(root)))
		}
	}
	ok, err := p.Process(rl)
	outputs := make([]*yaml.Node, min(len(docs), len(rl.Items)))
	for i := range outputs {
		outputs[i] = rl.Items[i].MoveToResourceNode().YNode()
		strip(outputs[i], locations[i])
	}
	results := append(notices, rl.Results...)
	if err != nil {
		return results, err
	}
	if !ok {
		return results, fmt.Errorf("the function failed; no file was changed")
	}
	if len(rl.Items) < len(docs) {
		return results, fmt.Errorf("the function dropped %d resources; no file was changed", len(docs)-len(rl.Items))
	}

	changed := map[*chunk]bool{}
	for i, c := range docs {
		node := outputs[i]
		if hashNode(node) == before[i] {
			continue
		}
		// The document node keeps the comments above the resource.
		c.node.Document().Content[0] = node
		changed[c] = true
	}
	rl.Results = results
	created, err := newFiles(dir, rl.Items[len(docs):])
	if err != nil {
		return rl.Results, err
	}
	if opts.Stdout != nil {
		return rl.Results, writeStream(opts.Stdout, files, changed, created)
	}
	for _, f := range files {
		if !f.touched(changed) {
			continue
		}
		data, err := f.render(changed)
		if err != nil {
			return rl.Results, err
		}
		if err := writeFile(filepath.Join(dir, f.path), data); err != nil {
			return rl.Results, err
		}
	}
	for _, c := range created {
		if err := writeFile(filepath.Join(dir, c.path), c.data); err != nil {
			return rl.Results, err
		}
	}
	return rl.Results, nil
}

// fileResult is a result about a file, or one of its documents when index
// is not -1.
func fileResult(path string, index int, severity fn.Severity, msg string) *fn.Result {
	return &fn.Result{Message: msg, Severity: severity, File: &fn.File{Path: path, Index: index}}
}

func (f *file) touched(changed map[*chunk]bool) bool {
	for _, c := range f.chunks {
		if changed[c] {
			return true
		}
	}
	return false
}

type createdFile struct {
	path string
	data []byte
}

// newFiles places new resources as kpt does: one file each, named
// <kind>_<name>.yaml in the package root.
func newFiles(dir string, items fn.KubeObjects) ([]createdFile, error) {
	var out []createdFile
	for _, obj := range items {
		name := strings.ToLower(obj.GetKind()) + "_" + obj.GetName() + ".yaml"
		// Never let a resource name choose a path outside the package.
		if name != filepath.Base(name) || strings.Contains(name, "..") {
			return nil, fmt.Errorf("refusing to write the new %s: its name is not a plain file name", obj.ShortString())
		}
		if info, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			why := "exists but was not read (.krmignore?)"
			if info.Mode()&os.ModeSymlink != 0 {
				why = "is a symbolic link, which directory mode does not write through"
			}
			return nil, fmt.Errorf("the new %s would go to %s, which %s", obj.ShortString(), name, why)
		}
		text, err := encode(obj.MoveToResourceNode(), "")
		if err != nil {
			return nil, err
		}
		out = append(out, createdFile{path: name, data: []byte(text)})
	}
	return out, nil
}

// writeStream prints the package as one YAML stream, file by file.
func writeStream(w io.Writer, files []*file, changed map[*chunk]bool, created []createdFile) error {
	var buf bytes.Buffer
	for _, f := range files {
		data, err := f.render(changed)
		if err != nil {
			return err
		}
		appendDocument(&buf, data)
	}
	for _, c := range created {
		appendDocument(&buf, c.data)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func appendDocument(buf *bytes.Buffer, data []byte) {
	if len(bytes.TrimSpace(data)) == 0 {
		return
	}
	if buf.Len() > 0 {
		buf.WriteString("---\n")
	}
	buf.Write(data)
	if !bytes.HasSuffix(data, []byte("\n")) {
		buf.WriteByte('\n')
	}
}

// writeFile replaces a file atomically, keeping its mode.
func writeFile(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".isolate-workloads-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// hashNode fingerprints a YAML tree, comments and styles included, to tell
// the documents the function changed from the ones it left alone.
func hashNode(n *yaml.Node) uint64 {
	h := fnv.New64a()
	var buf [2]byte
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		buf[0], buf[1] = byte(n.Kind), byte(n.Style)
		h.Write(buf[:])
		for _, s := range [...]string{n.Tag, n.Value, n.Anchor, n.HeadComment, n.LineComment, n.FootComment} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		for _, c := range n.Content {
			walk(c)
		}
		h.Write([]byte{1})
	}
	if n != nil {
		walk(n)
	}
	return h.Sum64()
}
