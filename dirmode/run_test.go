package dirmode

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	"sigs.k8s.io/kustomize/kyaml/kio"

	"github.com/isolate-workloads/isolate-workloads/transformer"
)

// isolateDescheduler is the corpus config: it isolates the descheduler CronJob.
var isolateDescheduler = func() string {
	data, err := os.ReadFile("../testdata/corpus/isolation.yaml")
	if err != nil {
		panic(err)
	}
	return string(data)
}()

func copyCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob("../testdata/corpus/manifests/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

func runOn(t *testing.T, dir, config string, opts Options) (fn.Results, error) {
	t.Helper()
	cfg, err := fn.ParseKubeObject([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return Run(dir, cfg, fn.ResourceListProcessorFunc(transformer.Run), opts)
}

// TestOnlyChangedDocumentsChange runs over the real-world corpus: every file
// without the isolated CronJob keeps its exact bytes, and in the CronJob's
// file only that document changes.
func TestOnlyChangedDocumentsChange(t *testing.T) {
	dir := copyCorpus(t)
	before := snapshot(t, dir)
	if _, err := runOn(t, dir, isolateDescheduler, Options{}); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, dir)
	if len(after) != len(before) {
		t.Fatalf("%d files before, %d after", len(before), len(after))
	}
	for name, text := range before {
		switch {
		case name == "descheduler-cronjob.yaml":
			if after[name] == text {
				t.Error("the CronJob's file did not change")
			}
			if !strings.Contains(after[name], "key: workloadType") {
				t.Errorf("the CronJob did not get the toleration:\n%s", after[name])
			}
		case after[name] != text:
			t.Errorf("%s changed although nothing in it is selected", name)
		}
	}
	secondRunChangesNothing(t, dir, isolateDescheduler, after)
}

// TestUnchangedDocumentsInAChangedFile keeps the bytes of the other
// documents of a file, comments, markers and a comment-only document included.
func TestUnchangedDocumentsInAChangedFile(t *testing.T) {
	dir := t.TempDir()
	original := `# leading comment of the file
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings   # odd   spacing kept
data:
    indented: "four spaces"
---   # marker with a comment
apiVersion: batch/v1
kind: CronJob
metadata:
  name: descheduler-cronjob
spec:
  schedule: "*/2 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          containers:
            - name: d
              image: descheduler
---
# only a comment here
`
	if err := os.WriteFile(filepath.Join(dir, "all.yaml"), []byte(original), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runOn(t, dir, isolateDescheduler, Options{}); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "all.yaml"))
	parts := strings.SplitN(string(got), "---   # marker with a comment\n", 2)
	if len(parts) != 2 || parts[0] != strings.SplitN(original, "---   # marker", 2)[0] {
		t.Fatalf("the first document or the marker changed:\n%s", got)
	}
	if !strings.HasSuffix(string(got), "---\n# only a comment here\n") {
		t.Errorf("the comment-only document was lost:\n%s", got)
	}
	if !strings.Contains(parts[1], "            - name: d") {
		t.Errorf("the CronJob lost its wide sequence indentation:\n%s", parts[1])
	}
	if info, _ := os.Stat(filepath.Join(dir, "all.yaml")); info.Mode().Perm() != 0o600 {
		t.Errorf("file mode changed to %v", info.Mode().Perm())
	}
}

func TestStdoutWritesNoFile(t *testing.T) {
	dir := copyCorpus(t)
	before := snapshot(t, dir)
	var out bytes.Buffer
	if _, err := runOn(t, dir, isolateDescheduler, Options{Stdout: &out}); err != nil {
		t.Fatal(err)
	}
	for name, text := range snapshot(t, dir) {
		if text != before[name] {
			t.Errorf("-o stdout changed %s", name)
		}
	}
	objs, err := (&kio.ByteReader{Reader: bytes.NewReader(out.Bytes()), OmitReaderAnnotations: true}).Read()
	if err != nil {
		t.Fatalf("stdout is not a YAML stream: %v", err)
	}
	if len(objs) < 100 || !strings.Contains(out.String(), "key: workloadType") {
		t.Errorf("stdout has %d objects and no isolation", len(objs))
	}
}

func TestFailureWritesNothing(t *testing.T) {
	dir := copyCorpus(t)
	before := snapshot(t, dir)
	results, err := runOn(t, dir, strings.Replace(isolateDescheduler, "effect: NoSchedule", "effect: NoEvict", 1), Options{})
	if err == nil || len(results) == 0 || !strings.Contains(results[0].Message, "NoEvict") {
		t.Fatalf("want a failure with the config error, got %v %v", err, results)
	}
	for name, text := range snapshot(t, dir) {
		if text != before[name] {
			t.Errorf("a failed run changed %s", name)
		}
	}
}

func TestKrmignoreAndNewObjects(t *testing.T) {
	dir := copyCorpus(t)
	if err := os.MkdirAll(filepath.Join(dir, "ignored"), 0o755); err != nil {
		t.Fatal(err)
	}
	cron, _ := os.ReadFile(filepath.Join(dir, "descheduler-cronjob.yaml"))
	if err := os.WriteFile(filepath.Join(dir, "ignored", "copy.yaml"), []byte(strings.Replace(string(cron), "name: descheduler-cronjob", `name: descheduler-cronjob
  namespace: other`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".krmignore"), []byte("ignored/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	config := withKarpenter(isolateDescheduler)
	if _, err := runOn(t, dir, config, Options{}); err != nil {
		t.Fatal(err)
	}
	ignored, _ := os.ReadFile(filepath.Join(dir, "ignored", "copy.yaml"))
	if strings.Contains(string(ignored), "workloadType") {
		t.Error("a file under .krmignore was changed")
	}
	pool, err := os.ReadFile(filepath.Join(dir, "nodepool_untrusted-pool.yaml"))
	if err != nil || !strings.Contains(string(pool), "kind: NodePool") {
		t.Fatalf("the Karpenter NodePool was not written to nodepool_untrusted-pool.yaml: %v", err)
	}
	// The second run finds the pool in the package and leaves it as it is.
	secondRunChangesNothing(t, dir, config, snapshot(t, dir))
}

// secondRunChangesNothing runs directory mode over dir again and holds
// every file to after, the package as the first run left it.
func secondRunChangesNothing(t *testing.T, dir, config string, after map[string]string) {
	t.Helper()
	if _, err := runOn(t, dir, config, Options{}); err != nil {
		t.Fatal(err)
	}
	for name, text := range snapshot(t, dir) {
		if text != after[name] {
			t.Errorf("a second run changed %s:\n%s", name, text)
		}
	}
}

func TestSplitDocumentsKeepsEveryByte(t *testing.T) {
	for _, text := range []string{"", "a: 1\n", "a: 1\n---\nb: 2", "---\na: 1\n--- # c\n\n---\n", "a: |\n  ---x\n---\r\nb: 1\r\n"} {
		var joined strings.Builder
		for _, c := range splitDocuments([]byte(text)) {
			joined.WriteString(c.separator + c.text)
		}
		if joined.String() != text {
			t.Errorf("split/join of %q gave %q", text, joined.String())
		}
	}
}

func TestNewFileNamesStayInThePackage(t *testing.T) {
	obj, err := fn.ParseKubeObject([]byte(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ../../escape
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newFiles(t.TempDir(), fn.KubeObjects{obj}); err == nil || !strings.Contains(err.Error(), "not a plain file name") {
		t.Fatalf("want a refusal, got %v", err)
	}
}
