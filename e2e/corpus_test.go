package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The words isolation adds: the tolerations and affinity it writes.
var addedWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`tolerations: affinity: nodeAffinity: requiredDuringSchedulingIgnoredDuringExecution:
		nodeSelectorTerms: matchExpressions: - key: operator: value: effect: values: workloadType untrusted Equal In NoSchedule`) {
		addedWords[w] = true
	}
}

var separator = regexp.MustCompile(`(?m)^---.*$`)

// anchor matches a YAML anchor or alias token, &name or *name.
var anchor = regexp.MustCompile(`(^|\s)[&*][A-Za-z][\w-]*(\s|$)`)

// commentOnlyDocuments returns the comment lines of documents that hold
// nothing but comments: kpt drops such documents (a known kpt behaviour;
// the directory mode keeps them).
func commentOnlyDocuments(text string) map[string]bool {
	out := map[string]bool{}
	for _, doc := range separator.Split(text, -1) {
		only := true
		var lines []string
		for _, l := range strings.Split(doc, "\n") {
			t := strings.TrimSpace(l)
			if t == "" {
				continue
			}
			if !strings.HasPrefix(t, "#") {
				only = false
				break
			}
			lines = append(lines, t)
		}
		if only {
			for _, l := range lines {
				out[l] = true
			}
		}
	}
	return out
}

// TestKptEvalKeepsCorpusComments runs the function through real kpt over the
// unmodified upstream files: the files kpt writes back keep every comment of
// every resource, and, whitespace aside, the only words that change are the
// ones isolation adds.
func TestKptEvalKeepsCorpusComments(t *testing.T) {
	kpt := tool(t, "kpt")
	git := tool(t, "git")
	dir := t.TempDir()
	originals := map[string]string{}
	files, _ := filepath.Glob(filepath.Join(repoRoot, "testdata", "corpus", "manifests", "*.yaml"))
	for _, f := range files {
		data := readFile(t, f)
		originals[filepath.Base(f)] = data
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(repoRoot, "testdata", "corpus", "isolation.yaml")
	run(t, dir, git, "init", "-q")
	run(t, dir, git, "add", "-A")
	run(t, dir, git, "-c", "user.email=e2e@example.com", "-c", "user.name=e2e", "commit", "-qm", "corpus")
	run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)

	for name, original := range originals {
		out := readFile(t, filepath.Join(dir, name))
		dropped := commentOnlyDocuments(original)
		for _, l := range strings.Split(original, "\n") {
			c := strings.TrimSpace(l)
			if strings.HasPrefix(c, "#") && !dropped[c] && !strings.Contains(out, c) {
				t.Errorf("%s lost the comment %q", name, c)
			}
		}
	}
	// kpt expands YAML aliases (kyaml's reader does), so the text an anchor
	// names appears again where its alias was: the words of files with
	// anchors may be repeated.
	expanded := map[string]bool{}
	for _, original := range originals {
		if anchor.MatchString(original) {
			for _, w := range strings.Fields(original) {
				expanded[w] = true
			}
		}
	}
	diff := exec.Command(git, "diff", "-w", "--word-diff=porcelain")
	diff.Dir = dir
	text, err := diff.Output()
	if err != nil {
		t.Fatal(err)
	}
	added := 0
	for _, line := range strings.Split(string(text), "\n") {
		switch {
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		case strings.HasPrefix(line, "+"):
			for _, w := range strings.Fields(line[1:]) {
				added++
				// kpt rewrites an empty `|-` block scalar as "": the same string.
				if !addedWords[w] && w != `""` && !expanded[w] {
					t.Errorf("kpt's output adds the unexpected word %q", w)
				}
			}
		case strings.HasPrefix(line, "-"):
			w := strings.TrimSpace(line[1:])
			if w != "" && w != "|-" && !strings.HasPrefix(w, "#") && !anchor.MatchString(w) {
				t.Errorf("kpt's output removes %q", w)
			}
		}
	}
	if added == 0 {
		t.Error("kpt's output isolated nothing")
	}
}
