package dirmode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

// packageFiles lists the manifest files of a package as kpt sees them:
// kyaml's own walk decides, so .krmignore and the file globs (*.yaml,
// *.yml, *.json and the Kptfile, as kpt reads them) behave the same. The
// walk is asked to skip every file after naming it, so nothing is parsed
// twice.
//
// Symbolic links are skipped, and each one that could hold manifests (a
// link to a directory, or one named like a manifest) is returned in
// links. kpt reads a file through its link and writes back through it,
// which may edit a file outside the package, and reads the target a second
// time when it is inside; it silently ignores links to directories.
// Skipping them all, and saying so, keeps a run inside the package and
// never turns a link into a file.
func packageFiles(dir string) (files, links []string, err error) {
	globs := append(append([]string{}, kio.MatchAll...), "Kptfile")
	reader := kio.LocalPackageReader{
		PackagePath:           dir,
		OmitReaderAnnotations: true,
		FileSkipFunc: func(relPath string) bool {
			manifest := false
			for _, g := range globs {
				if ok, _ := filepath.Match(g, filepath.Base(relPath)); ok {
					manifest = true
					break
				}
			}
			// The walk does not follow links: a link to a directory comes here too.
			info, err := os.Lstat(filepath.Join(dir, relPath))
			switch {
			case err == nil && info.Mode()&os.ModeSymlink != 0:
				if target, err := os.Stat(filepath.Join(dir, relPath)); manifest || err == nil && target.IsDir() {
					links = append(links, relPath)
				}
			case manifest:
				files = append(files, relPath)
			}
			return true
		},
	}
	if _, err := reader.Read(); err != nil {
		return nil, nil, err
	}
	sort.Strings(files)
	sort.Strings(links)
	return files, links, nil
}

// chunk is one YAML document of a file, with the exact bytes it had.
type chunk struct {
	// separator is the `---` line before the document, if any.
	separator string
	text      string
	// node is the document's resource, nil for an empty or comment-only one.
	node *yaml.RNode
	// index counts the documents of the file before this one, as
	// kyaml's internal.config.kubernetes.io/index does.
	index int
}

// file is a manifest file split into documents.
type file struct {
	path   string
	chunks []*chunk
}

// separatorLine is compiled on first use, so the function's startup does not pay for it.
var separatorLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^---([ \t].*)?\r?$`) })

// splitDocuments cuts a file at its `---` lines, keeping every byte, so an
// untouched document can be written back exactly as it was.
func splitDocuments(data []byte) []*chunk {
	var chunks []*chunk
	current := &chunk{}
	var text bytes.Buffer
	for len(data) > 0 {
		end := bytes.IndexByte(data, '\n')
		line := data
		if end >= 0 {
			line = data[:end+1]
		}
		data = data[len(line):]
		if separatorLine().Match(bytes.TrimRight(line, "\n")) {
			current.text = text.String()
			chunks = append(chunks, current)
			current = &chunk{separator: string(line)}
			text.Reset()
			continue
		}
		text.Write(line)
	}
	current.text = text.String()
	return append(chunks, current)
}

// readFile reads one manifest file into documents, each parsed by kyaml's
// reader the way kpt reads it (aliases expanded).
func readFile(dir, rel string) (*file, error) {
	data, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		return nil, err
	}
	f := &file{path: rel, chunks: splitDocuments(data)}
	n := 0
	for _, c := range f.chunks {
		if !hasContent(c.text) {
			continue
		}
		n++
		node, err := parseDocument(c.text)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d %w", rel, n, err)
		}
		c.node, c.index = node, n-1
	}
	return f, nil
}

// hasContent tells a document from the blank or comment-only text YAML
// readers do not count as one.
func hasContent(text string) bool {
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// parseDocument reads one document as kyaml's reader does: aliases
// expanded, and nil for a document that is empty or only comments. The
// errors complete "document N ...".
func parseDocument(text string) (*yaml.RNode, error) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	doc := &yaml.Node{}
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	if err := dec.Decode(&yaml.Node{}); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("holds more than one YAML document; separate them with a --- line")
	}
	if yaml.IsYNodeEmptyDoc(doc) || len(doc.Content) == 0 {
		return nil, nil
	}
	switch root := doc.Content[0]; root.Kind {
	case yaml.MappingNode:
	case yaml.SequenceNode:
		return nil, fmt.Errorf("is a YAML list, not a Kubernetes object, so the objects in it cannot be isolated; " +
			"kpt refuses it too. Write one object per document, separated by --- lines, " +
			"or put them under items: of an object of apiVersion: v1, kind: List")
	case yaml.ScalarNode:
		if root.ShortTag() == yaml.NodeTagNull {
			return nil, nil
		}
		return nil, fmt.Errorf("is a single value (%.40q), not a Kubernetes object (a map of fields such as apiVersion and kind)", root.Value)
	default:
		return nil, fmt.Errorf("is not a Kubernetes object (a map of fields such as apiVersion and kind)")
	}
	if err := krmio.ExpandAliases(doc); err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	return yaml.NewRNode(doc), nil
}

// render writes the file back: untouched documents as they were, changed
// ones spliced (see splice), or encoded again where splicing cannot.
func (f *file) render(changed map[*chunk]bool) ([]byte, error) {
	var out bytes.Buffer
	for _, c := range f.chunks {
		out.WriteString(c.separator)
		if !changed[c] {
			out.WriteString(c.text)
			continue
		}
		text, err := rewrite(c, isJSON(f.path))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.path, err)
		}
		out.WriteString(text)
	}
	return out.Bytes(), nil
}

func isJSON(path string) bool {
	ok, _ := filepath.Match(kio.JSONMatch[0], filepath.Base(path))
	return ok
}

// rewrite writes a changed document: spliced into its text where it can
// be, else encoded as a whole, in the file's line breaks and, in a JSON
// file, as JSON.
func rewrite(c *chunk, jsonFile bool) (string, error) {
	root := c.node.Document().Content[0]
	if text, ok := splice(c.text, root, jsonFile); ok {
		return text, nil
	}
	var text string
	if jsonFile {
		sp := &splicer{json: true, step: 2}
		t, ok := sp.flowText(root, 0, true)
		if !ok {
			return "", fmt.Errorf("the changed document cannot be written as JSON")
		}
		text = t + "\n"
	} else {
		var err error
		if text, err = encode(c.node, c.text); err != nil {
			return "", err
		}
	}
	if strings.Contains(c.text, "\r\n") {
		text = strings.ReplaceAll(text, "\n", "\r\n")
	}
	return text, nil
}

// encode writes a node in the sequence indentation style of its original
// text: kyaml can keep "wide" (- indented under its key) or "compact".
func encode(node *yaml.RNode, original string) (string, error) {
	style := yaml.CompactSequenceStyle
	if original != "" && yaml.DeriveSeqIndentStyle(original) == string(yaml.WideSequenceStyle) {
		style = yaml.WideSequenceStyle
	}
	data, err := yaml.MarshalWithOptions(node.Document(), &yaml.EncoderOptions{SeqIndent: style})
	if err != nil {
		return "", err
	}
	return string(data), nil
}
