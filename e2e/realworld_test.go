package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corev1helpers "k8s.io/component-helpers/scheduling/corev1"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
	"k8s.io/klog/v2"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/kio/kioutil"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/isolate-workloads/isolate-workloads/config"
	"github.com/isolate-workloads/isolate-workloads/workload"
)

// The second real-world corpus: upstream manifests taken from Go module zips,
// one directory per package, listed in testdata/realworld/corpus.yaml and
// described in testdata/realworld/PROVENANCE.md. The files are not in this
// repository: realworldCorpus downloads the modules through the Go module
// proxy (which CI reaches) and checks every file's SHA-256.

// realworldPackages lists each package and the workloads its config in
// testdata/realworld/config/<name>.yaml must isolate (kind/namespace/name).
// Every other resource of the package must come out exactly as it went in.
// kptRefuses is the error real kpt stops with before it runs any function,
// for a package kpt cannot read.
var realworldPackages = []struct {
	name       string
	isolated   []string
	kptRefuses string
}{
	{"metrics-server", []string{"Deployment/kube-system/metrics-server"}, ""},
	{"argo-rollouts", []string{"Rollout//rollout-bluegreen", "Rollout//rollout-canary"}, ""},
	{"istio-bookinfo", []string{"Deployment//reviews-v1", "Deployment//reviews-v2", "Deployment//reviews-v3"}, ""},
	// kpt reads a List as one resource and requires its metadata.name, which
	// a List (like `kubectl get -o yaml` output) does not have.
	{"istio-list", []string{"Deployment//hello-v1"}, "input resource list must contain only KRM resources: list.yaml: resource must have `metadata.name`"},
	{"kube-network-policies", []string{"DaemonSet/kube-system/kube-network-policies"}, ""},
	{"kubernetes-list", []string{"Pod//valid-pod"}, "input resource list must contain only KRM resources: rbac-resource-plus.yaml: resource must have `metadata.name`"},
	{"kubernetes-json", []string{"Pod/kubemark/cluster-autoscaler"}, ""},
	{"kubernetes-crlf", []string{"DaemonSet/kube-system/ip-masq-agent"}, ""},
}

// corpusModule is one module of testdata/realworld/corpus.yaml and the files
// the corpus takes from it.
type corpusModule struct {
	Module     string       `yaml:"module"`
	Version    string       `yaml:"version"`
	Repository string       `yaml:"repository"`
	Licence    string       `yaml:"licence"`
	Files      []corpusFile `yaml:"files"`
}

type corpusFile struct {
	Package string `yaml:"package"`
	Name    string `yaml:"name"`
	Path    string `yaml:"path"` // inside the module
	SHA256  string `yaml:"sha256"`
	// LineEndings "crlf" turns every LF into CRLF after the check.
	LineEndings string `yaml:"lineEndings"`
}

// The pool every config of the corpus defines.
var (
	realworldTaint      = corev1.Taint{Key: "workloadType", Value: "untrusted", Effect: corev1.TaintEffectNoSchedule}
	realworldPoolLabels = map[string]string{"workloadType": "untrusted"}
)

// addedKeyPrefix marks the labels and annotations the function may write
// (the audit acknowledgement); they are the only metadata it may add.
const addedKeyPrefix = "isolate-workloads.dev/"

// isolationFields are the pod spec fields isolation writes.
var isolationFields = []string{"tolerations", "affinity", "nodeSelector"}

// realworld is the corpus, laid out once per test binary.
var realworld struct {
	once sync.Once
	dir  string
	err  error
	// offline is set when the modules could not be downloaded at all.
	offline bool
}

// realworldCorpus returns the directory with one package per entry of
// realworldPackages, built from the module zips. When the modules cannot be
// downloaded it skips the test, except on CI, where it fails it: CI reaches
// the module proxy, so a missing corpus there is a broken test. A file whose
// SHA-256 differs from corpus.yaml fails the test everywhere.
func realworldCorpus(t *testing.T) string {
	t.Helper()
	realworld.once.Do(func() {
		realworld.dir, realworld.offline, realworld.err = buildRealworldCorpus()
	})
	if realworld.err != nil {
		if realworld.offline && os.Getenv("CI") != "true" {
			t.Skipf("the real-world corpus could not be downloaded (testdata/realworld/corpus.yaml): %v", realworld.err)
		}
		t.Fatalf("the real-world corpus: %v", realworld.err)
	}
	return realworld.dir
}

// buildRealworldCorpus downloads the modules of corpus.yaml, checks every
// file and copies it into a temporary directory as <package>/<name>.
func buildRealworldCorpus() (dir string, offline bool, err error) {
	modules, err := readCorpusList(filepath.Join(repoRoot, "testdata", "realworld", "corpus.yaml"))
	if err != nil {
		return "", false, err
	}
	dirs, err := downloadModules(modules)
	if err != nil {
		return "", true, err
	}
	dir, err = os.MkdirTemp("", "isolate-workloads-realworld-")
	if err != nil {
		return "", false, err
	}
	packages := map[string]bool{}
	for _, m := range modules {
		root := dirs[m.Module+"@"+m.Version]
		if !fileExists(filepath.Join(root, "LICENSE")) {
			return "", false, fmt.Errorf("%s@%s has no LICENSE at its root", m.Module, m.Version)
		}
		for _, f := range m.Files {
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
			if err != nil {
				return "", false, fmt.Errorf("%s@%s: %w", m.Module, m.Version, err)
			}
			if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != f.SHA256 {
				return "", false, fmt.Errorf("%s@%s %s is not the recorded file: sha256 %x, corpus.yaml says %s", m.Module, m.Version, f.Path, sum, f.SHA256)
			}
			switch f.LineEndings {
			case "":
			case "crlf":
				if bytes.Contains(data, []byte("\r")) {
					return "", false, fmt.Errorf("%s@%s %s already has CR characters", m.Module, m.Version, f.Path)
				}
				data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
			default:
				return "", false, fmt.Errorf("%s: unknown lineEndings %q", f.Path, f.LineEndings)
			}
			out := filepath.Join(dir, f.Package, f.Name)
			if fileExists(out) {
				return "", false, fmt.Errorf("corpus.yaml names %s/%s twice", f.Package, f.Name)
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return "", false, err
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return "", false, err
			}
			packages[f.Package] = true
		}
	}
	for _, pkg := range realworldPackages {
		if !packages[pkg.name] {
			return "", false, fmt.Errorf("corpus.yaml has no files for the package %s", pkg.name)
		}
		delete(packages, pkg.name)
	}
	if len(packages) > 0 {
		return "", false, fmt.Errorf("corpus.yaml has packages the tests do not run: %v", packages)
	}
	return dir, false, nil
}

// TestRealworldProvenanceNamesEveryFile keeps PROVENANCE.md's table in step
// with corpus.yaml, which the tests read: every module version and every
// file must appear in it.
func TestRealworldProvenanceNamesEveryFile(t *testing.T) {
	modules, err := readCorpusList(filepath.Join(repoRoot, "testdata", "realworld", "corpus.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	provenance := readFile(t, filepath.Join(repoRoot, "testdata", "realworld", "PROVENANCE.md"))
	for _, m := range modules {
		if !strings.Contains(provenance, "`"+m.Module+"@"+m.Version+"`") {
			t.Errorf("PROVENANCE.md does not name %s@%s", m.Module, m.Version)
		}
		for _, f := range m.Files {
			if !strings.Contains(provenance, "`"+f.Name+"`") || !strings.Contains(provenance, "`"+f.Package+"`") {
				t.Errorf("PROVENANCE.md does not name %s/%s", f.Package, f.Name)
			}
		}
	}
}

// readCorpusList reads corpus.yaml, refusing fields it does not know.
func readCorpusList(path string) ([]corpusModule, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var list struct {
		Modules []corpusModule `yaml:"modules"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(list.Modules) < 5 {
		return nil, fmt.Errorf("%s lists only %d projects", path, len(list.Modules))
	}
	for _, m := range list.Modules {
		if m.Module == "" || m.Version == "" || m.Repository == "" || m.Licence == "" || len(m.Files) == 0 {
			return nil, fmt.Errorf("%s: %q needs module, version, repository, licence and files", path, m.Module)
		}
		for _, f := range m.Files {
			if f.Package == "" || f.Name == "" || f.Path == "" || len(f.SHA256) != 64 {
				return nil, fmt.Errorf("%s: a file of %s needs package, name, path and sha256", path, m.Module)
			}
		}
	}
	return list.Modules, nil
}

// downloadModules runs `go mod download -json` for every module (a no-op for
// those already in the module cache) and returns each one's directory by
// module@version. It runs outside any main module, so nothing here is
// resolved against this repository's go.mod.
func downloadModules(modules []corpusModule) (map[string]string, error) {
	work, err := os.MkdirTemp("", "isolate-workloads-download-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	args := []string{"mod", "download", "-json"}
	for _, m := range modules {
		args = append(args, m.Module+"@"+m.Version)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "GOFLAGS=", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	dirs := map[string]string{}
	var problems []string
	dec := json.NewDecoder(&stdout)
	for {
		var m struct{ Path, Version, Dir, Error string }
		if err := dec.Decode(&m); err != nil {
			break
		}
		if m.Error != "" {
			problems = append(problems, m.Error)
			continue
		}
		dirs[m.Path+"@"+m.Version] = m.Dir
	}
	for _, m := range modules {
		if dirs[m.Module+"@"+m.Version] == "" && len(problems) == 0 {
			problems = append(problems, fmt.Sprintf("%s@%s: no directory reported", m.Module, m.Version))
		}
	}
	if len(problems) > 0 || runErr != nil {
		return nil, fmt.Errorf("go %s: %v: %s %s", strings.Join(args, " "), runErr, strings.Join(problems, "; "), stderr.String())
	}
	return dirs, nil
}

// realworldConfig returns the package's config file and its pod spec table.
func realworldConfig(t *testing.T, name string) (string, *workload.Table) {
	t.Helper()
	path := filepath.Join(repoRoot, "testdata", "realworld", "config", name+".yaml")
	obj, err := fn.ParseKubeObject([]byte(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, errs := config.Load(obj)
	if len(errs) > 0 {
		t.Fatalf("%s: %v", path, errs.ToAggregate())
	}
	return path, workload.NewTable(cfg.Spec.AdditionalPodSpecPaths)
}

// manifestFiles lists a package's manifests as kpt and the directory mode
// read them, relative to dir.
func manifestFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext == ".yaml" || ext == ".yml" || ext == ".json" {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// documents reads YAML text into its documents without unwrapping Lists, so a
// List stays one object as it is in the file.
func documents(t *testing.T, data []byte, path string) []*yaml.RNode {
	t.Helper()
	r := &kio.ByteReader{Reader: bytes.NewReader(data), OmitReaderAnnotations: true, DisableUnwrapping: true}
	if path != "" {
		r.SetAnnotations = map[string]string{kioutil.PathAnnotation: path}
	}
	nodes, err := r.Read()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return nodes
}

// packageDocuments reads every manifest of a package directory.
func packageDocuments(t *testing.T, dir string) []*yaml.RNode {
	t.Helper()
	var out []*yaml.RNode
	for _, f := range manifestFiles(t, dir) {
		out = append(out, documents(t, []byte(readFile(t, filepath.Join(dir, f))), "")...)
	}
	return out
}

// resourceSet is every resource of a package by kind/namespace/name, the items
// of a List counted as resources, with the number of List documents.
type resourceSet struct {
	byID  map[string]map[string]any
	lists int
}

func resourcesOf(t *testing.T, docs []*yaml.RNode) resourceSet {
	t.Helper()
	set := resourceSet{byID: map[string]map[string]any{}}
	var add func(n *yaml.RNode)
	add = func(n *yaml.RNode) {
		if n.GetKind() == "List" {
			set.lists++
			items, err := n.Pipe(yaml.Lookup("items"))
			if err != nil || items == nil {
				t.Fatalf("a List without items: %v", err)
			}
			elements, _ := items.Elements()
			for _, item := range elements {
				add(item)
			}
			return
		}
		m, err := n.Map()
		if err != nil {
			t.Fatal(err)
		}
		id := n.GetKind() + "/" + n.GetNamespace() + "/" + n.GetName()
		if n.GetName() == "" {
			// A nameless object (a Kustomization) is known by its kind and position.
			id = fmt.Sprintf("%s/%d", n.GetKind(), len(set.byID))
		}
		if _, dup := set.byID[id]; dup {
			t.Fatalf("%s appears twice", id)
		}
		set.byID[id] = m
	}
	for _, d := range docs {
		add(d)
	}
	return set
}

// podSpecFields returns the pod spec's field path for a resource, if its kind
// carries one.
func podSpecFields(table *workload.Table, m map[string]any) ([]string, bool) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return nil, false
	}
	row, ok := table.Lookup(gv.WithKind(kind))
	if !ok {
		return nil, false
	}
	return row.Fields(), true
}

func nestedMap(m map[string]any, fields []string) map[string]any {
	for _, f := range fields {
		next, ok := m[f].(map[string]any)
		if !ok {
			return nil
		}
		m = next
	}
	return m
}

// dropAddedMetadata removes the labels and annotations the function may add.
func dropAddedMetadata(meta map[string]any) {
	for _, key := range []string{"labels", "annotations"} {
		values, ok := meta[key].(map[string]any)
		if !ok {
			continue
		}
		dropped := false
		for k := range values {
			if strings.HasPrefix(k, addedKeyPrefix) {
				delete(values, k)
				dropped = true
			}
		}
		if dropped && len(values) == 0 {
			delete(meta, key)
		}
	}
}

// withoutIsolation is a resource with everything isolation may change taken
// out: the isolation fields of its pod spec and the metadata the function adds
// to the resource and its pod template.
func withoutIsolation(table *workload.Table, m map[string]any) map[string]any {
	if meta, ok := m["metadata"].(map[string]any); ok {
		dropAddedMetadata(meta)
	}
	fields, ok := podSpecFields(table, m)
	if !ok {
		return m
	}
	if spec := nestedMap(m, fields); spec != nil {
		for _, f := range isolationFields {
			delete(spec, f)
		}
	}
	if template := nestedMap(m, fields[:len(fields)-1]); template != nil && len(fields) > 1 {
		if meta, ok := template["metadata"].(map[string]any); ok {
			dropAddedMetadata(meta)
		}
	}
	return m
}

// assertIsolatedBy checks with the scheduler's own code that a workload
// tolerates the pool's taint, fits a node of the pool, and fits no node
// without the pool's labels.
func assertIsolatedBy(t *testing.T, id string, table *workload.Table, m map[string]any) {
	t.Helper()
	fields, ok := podSpecFields(table, m)
	if !ok {
		t.Errorf("%s: no pod spec path for its kind", id)
		return
	}
	raw, err := json.Marshal(nestedMap(m, fields))
	if err != nil {
		t.Fatal(err)
	}
	var spec corev1.PodSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	if !corev1helpers.TolerationsTolerateTaint(klog.Background(), spec.Tolerations, &realworldTaint, false) {
		t.Errorf("%s does not tolerate the pool's taint: %+v", id, spec.Tolerations)
	}
	shared := map[string]string{}
	for k, v := range spec.NodeSelector {
		shared[k] = v
	}
	delete(shared, "workloadType")
	pool := map[string]string{}
	for k, v := range shared {
		pool[k] = v
	}
	for k, v := range realworldPoolLabels {
		pool[k] = v
	}
	required := nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: spec})
	for _, c := range []struct {
		labels map[string]string
		want   bool
	}{{pool, true}, {shared, false}} {
		got, err := required.Match(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: c.labels}})
		if err != nil || got != c.want {
			t.Errorf("%s on a node labelled %v: fits %v (%v), want %v", id, c.labels, got, err, c.want)
		}
	}
}

// assertNothingLost compares a package before and after a run: the same
// resources, the selected ones isolated and otherwise unchanged, every other
// one exactly as it was.
func assertNothingLost(t *testing.T, table *workload.Table, isolated []string, before, after resourceSet) {
	t.Helper()
	if len(before.byID) != len(after.byID) {
		t.Errorf("%d resources in, %d out", len(before.byID), len(after.byID))
	}
	selected := map[string]bool{}
	for _, id := range isolated {
		selected[id] = true
	}
	for id, in := range before.byID {
		out, ok := after.byID[id]
		if !ok {
			t.Errorf("%s is missing from the output", id)
			continue
		}
		if !selected[id] {
			if !reflect.DeepEqual(in, out) {
				t.Errorf("%s is not selected but changed", id)
			}
			continue
		}
		assertIsolatedBy(t, id, table, out)
		if !reflect.DeepEqual(withoutIsolation(table, in), withoutIsolation(table, out)) {
			a, _ := yaml.Marshal(in)
			b, _ := yaml.Marshal(out)
			t.Errorf("%s changed beyond the isolation fields:\n--- in\n%s--- out\n%s", id, a, b)
		}
	}
	for _, id := range isolated {
		if _, ok := before.byID[id]; !ok {
			t.Errorf("the corpus has no %s", id)
		}
	}
	for id := range after.byID {
		if _, ok := before.byID[id]; !ok {
			t.Errorf("%s is new in the output", id)
		}
	}
}

// TestRealworldFunctionMode runs each package as one ResourceList through the
// binary, with every document as it is in its file (a List stays one item,
// as a pipeline that does not unwrap it hands it over): nothing lost, the
// selected workloads isolated, Lists kept, and a run over the output changes
// no item.
func TestRealworldFunctionMode(t *testing.T) {
	corpus := realworldCorpus(t)
	for _, pkg := range realworldPackages {
		t.Run(pkg.name, func(t *testing.T) {
			cfgPath, table := realworldConfig(t, pkg.name)
			dir := filepath.Join(corpus, pkg.name)
			var items []*yaml.RNode
			for _, f := range manifestFiles(t, dir) {
				items = append(items, documents(t, []byte(readFile(t, filepath.Join(dir, f))), filepath.ToSlash(f))...)
			}
			cfg, err := yaml.Parse(readFile(t, cfgPath))
			if err != nil {
				t.Fatal(err)
			}
			var input bytes.Buffer
			w := kio.ByteWriter{Writer: &input, WrappingKind: kio.ResourceListKind, WrappingAPIVersion: kio.ResourceListAPIVersion, FunctionConfig: cfg}
			if err := w.Write(items); err != nil {
				t.Fatal(err)
			}

			first := runFunction(t, input.Bytes())
			firstItems := resourceListItems(t, first)
			before := resourcesOf(t, packageDocuments(t, dir))
			after := resourcesOf(t, firstItems)
			if after.lists != before.lists {
				t.Errorf("%d List documents in, %d out: a List must be written back as a List", before.lists, after.lists)
			}
			// Each output item carries the path annotation of its file; take it
			// out to compare with the files as read.
			for _, n := range firstItems {
				_ = n.PipeE(yaml.ClearAnnotation(kioutil.PathAnnotation))
				_ = n.PipeE(yaml.ClearAnnotation(kioutil.LegacyPathAnnotation))
				_ = n.PipeE(yaml.ClearAnnotation(kioutil.IndexAnnotation))
				_ = n.PipeE(yaml.ClearAnnotation(kioutil.LegacyIndexAnnotation))
				_ = yaml.ClearEmptyAnnotations(n)
			}
			assertNothingLost(t, table, pkg.isolated, before, resourcesOf(t, firstItems))

			second := runFunction(t, first)
			if a, b := itemsText(t, first), itemsText(t, second); a != b {
				t.Errorf("the second run changed the items:\n%s", lineDiffText(a, b))
			}
		})
	}
}

// runFunction runs the binary in function mode and fails unless it exits 0.
func runFunction(t *testing.T, input []byte) []byte {
	t.Helper()
	cmd := exec.Command(binary)
	cmd.Stdin = bytes.NewReader(input)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("function mode: %v\nstderr:\n%s\nstdout:\n%s", err, stderr.String(), resultsOf(stdout.Bytes()))
	}
	return stdout.Bytes()
}

// resultsOf returns the results of a ResourceList, for failure messages.
func resultsOf(out []byte) string {
	rl, err := yaml.Parse(string(out))
	if err != nil {
		return string(out)
	}
	results := rl.Field("results")
	if results == nil {
		return "(no results)"
	}
	s, _ := results.Value.String()
	return s
}

// resourceListItems returns the items of a ResourceList, Lists among them
// left whole.
func resourceListItems(t *testing.T, out []byte) []*yaml.RNode {
	t.Helper()
	rl, err := yaml.Parse(string(out))
	if err != nil {
		t.Fatal(err)
	}
	items := rl.Field("items")
	if items == nil {
		t.Fatalf("the output has no items:\n%s", out)
	}
	elements, err := items.Value.Elements()
	if err != nil {
		t.Fatal(err)
	}
	return elements
}

func itemsText(t *testing.T, out []byte) string {
	t.Helper()
	var b bytes.Buffer
	if err := (kio.ByteWriter{Writer: &b}).Write(resourceListItems(t, out)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestRealworldDirectoryMode runs `isolate-workloads run` over a copy of each
// package: nothing lost, the selected workloads isolated, Lists kept, only
// lines of the isolation fields added or removed (the count per file is
// logged), and a second run leaves every file byte-identical.
func TestRealworldDirectoryMode(t *testing.T) {
	corpus := realworldCorpus(t)
	for _, pkg := range realworldPackages {
		t.Run(pkg.name, func(t *testing.T) {
			cfg, table := realworldConfig(t, pkg.name)
			src := filepath.Join(corpus, pkg.name)
			dir := copyDir(t, src)
			run(t, repoRoot, binary, "run", "--config", cfg, dir)

			before := resourcesOf(t, packageDocuments(t, src))
			after := resourcesOf(t, packageDocuments(t, dir))
			if after.lists != before.lists {
				t.Errorf("%d List documents in, %d out", before.lists, after.lists)
			}
			assertNothingLost(t, table, pkg.isolated, before, after)

			if got, want := manifestFiles(t, dir), manifestFiles(t, src); !reflect.DeepEqual(got, want) {
				t.Errorf("files after the run: %v, want %v", got, want)
			}
			firstRun := map[string]string{}
			for _, f := range manifestFiles(t, src) {
				in, out := readFile(t, filepath.Join(src, f)), readFile(t, filepath.Join(dir, f))
				firstRun[f] = out
				assertOnlyIsolationLines(t, table, f, in, out)
			}

			run(t, repoRoot, binary, "run", "--config", cfg, dir)
			for f, want := range firstRun {
				if got := readFile(t, filepath.Join(dir, f)); got != want {
					t.Errorf("%s: the second run changed the file:\n%s", f, lineDiffText(want, got))
				}
			}
		})
	}
}

// TestRealworldKptEval runs real kpt over a copy of each package with the
// binary as an exec function: nothing lost and the selected workloads
// isolated, and a second `kpt fn eval` leaves every file byte-identical but
// for what kpt changes by itself on a pass through a no-op function. A
// package kpt refuses to read must fail with kpt's own message and stay as it
// was.
func TestRealworldKptEval(t *testing.T) {
	kpt := tool(t, "kpt")
	tool(t, "git")
	cat := tool(t, "cat")
	corpus := realworldCorpus(t)
	for _, pkg := range realworldPackages {
		t.Run(pkg.name, func(t *testing.T) {
			cfg, table := realworldConfig(t, pkg.name)
			src := filepath.Join(corpus, pkg.name)
			dir := copyDir(t, src)
			if pkg.kptRefuses != "" {
				assertKptRefuses(t, kpt, dir, cfg, pkg.kptRefuses)
				for _, f := range manifestFiles(t, src) {
					if readFile(t, filepath.Join(src, f)) != readFile(t, filepath.Join(dir, f)) {
						t.Errorf("%s changed although kpt refused the package", f)
					}
				}
				return
			}
			run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)

			unwrapped := func(d string) resourceSet {
				nodes, err := (&kio.LocalPackageReader{PackagePath: d, OmitReaderAnnotations: true, MatchFilesGlob: kio.MatchAll}).Read()
				if err != nil {
					t.Fatal(err)
				}
				return resourcesOf(t, nodes)
			}
			assertNothingLost(t, table, pkg.isolated, unwrapped(src), unwrapped(dir))

			firstRun := map[string]string{}
			for _, f := range manifestFiles(t, dir) {
				firstRun[f] = readFile(t, filepath.Join(dir, f))
				in := ""
				if fileExists(filepath.Join(src, f)) {
					in = readFile(t, filepath.Join(src, f))
				}
				added, removed := lineChanges(splitLines(in), splitLines(firstRun[f]))
				t.Logf("%s: kpt changed %d lines (+%d -%d)", f, len(added)+len(removed), len(added), len(removed))
			}
			// kpt reformats some files on every pass by itself (it drops a
			// blank line after a leading comment block one pass at a time), so
			// the second run is compared with a second pass of kpt through a
			// function that returns its input unchanged: whatever differs is the
			// function's doing.
			passthrough := copyDir(t, dir)
			run(t, passthrough, kpt, "fn", "eval", passthrough, "--exec", cat)
			run(t, dir, kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)
			for f, first := range firstRun {
				want := readFile(t, filepath.Join(passthrough, f))
				if want != first {
					t.Logf("%s: kpt itself changes the file again on a second pass through a function that changes nothing:\n%s", f, lineDiffText(first, want))
				}
				if got := readFile(t, filepath.Join(dir, f)); got != want {
					t.Errorf("%s: the second kpt run changed the file beyond what kpt itself does:\n%s", f, lineDiffText(want, got))
				}
			}
		})
	}
}

// assertKptRefuses runs `kpt fn eval` and requires it to fail with message.
func assertKptRefuses(t *testing.T, kpt, dir, cfg, message string) {
	t.Helper()
	cmd := exec.Command(kpt, "fn", "eval", dir, "--exec", binary, "--fn-config", cfg)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), message) {
		t.Errorf("kpt was expected to refuse the package with %q; it exited with %v:\n%s", message, err, out)
	}
}

// assertOnlyIsolationLines diffs a file line by line (line endings included)
// and requires every added line to lie within an isolation field of the new
// text and every removed line within one of the old text; it logs the count.
func assertOnlyIsolationLines(t *testing.T, table *workload.Table, file, in, out string) {
	t.Helper()
	oldLines, newLines := splitLines(in), splitLines(out)
	added, removed := lineChanges(oldLines, newLines)
	oldRanges, newRanges := isolationLines(t, table, in), isolationLines(t, table, out)
	// In flow style (JSON) a field added after the last one puts a comma on
	// the line before it: that line may change by exactly that comma.
	commaOnly := map[int]bool{} // old line index -> excused
	removedAt := map[string][]int{}
	for _, i := range removed {
		removedAt[oldLines[i]] = append(removedAt[oldLines[i]], i)
	}
	var stray []string
	commas := 0
	for _, i := range added {
		if newRanges[i+1] {
			continue
		}
		if newRanges[i+2] {
			if was, ok := withoutTrailingComma(newLines[i]); ok {
				if at := removedAt[was]; len(at) > 0 {
					commaOnly[at[0]] = true
					removedAt[was] = at[1:]
					commas++
					continue
				}
			}
		}
		stray = append(stray, fmt.Sprintf("+%d: %q", i+1, newLines[i]))
	}
	for _, i := range removed {
		if !oldRanges[i+1] && !commaOnly[i] {
			stray = append(stray, fmt.Sprintf("-%d: %q", i+1, oldLines[i]))
		}
	}
	byComma := ""
	if commas > 0 {
		byComma = fmt.Sprintf(", %d of them only by a comma before an isolation field", 2*commas)
	}
	t.Logf("%s: %d lines changed (+%d -%d)%s, %d outside the isolation fields", file, len(added)+len(removed), len(added), len(removed), byComma, len(stray))
	if len(stray) > 0 {
		const show = 12
		more := ""
		if len(stray) > show {
			more = fmt.Sprintf("\n  ... and %d more", len(stray)-show)
			stray = stray[:show]
		}
		t.Errorf("%s: %d changed lines are not isolation lines:\n  %s%s", file, len(stray), strings.Join(stray, "\n  "), more)
	}
}

// withoutTrailingComma returns a line with the comma that ends it removed.
func withoutTrailingComma(line string) (string, bool) {
	body := strings.TrimRight(line, "\r\n")
	if !strings.HasSuffix(body, ",") {
		return "", false
	}
	return strings.TrimSuffix(body, ",") + line[len(body):], true
}

// splitLines splits on "\n" only, so a "\r" stays part of its line and a
// change of line ending is a changed line.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.SplitAfter(s, "\n")
}

// lineChanges returns the indexes of the lines only in b (added) and only in
// a (removed), from a longest common subsequence.
func lineChanges(a, b []string) (added, removed []int) {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case j < len(b) && (i == len(a) || lcs[i][j+1] >= lcs[i+1][j]):
			added = append(added, j)
			j++
		default:
			removed = append(removed, i)
			i++
		}
	}
	return added, removed
}

// lineDiffText shows the changed lines of two texts, for failure messages.
func lineDiffText(a, b string) string {
	al, bl := splitLines(a), splitLines(b)
	added, removed := lineChanges(al, bl)
	var out []string
	for _, i := range removed {
		out = append(out, fmt.Sprintf("-%d: %q", i+1, al[i]))
	}
	for _, i := range added {
		out = append(out, fmt.Sprintf("+%d: %q", i+1, bl[i]))
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("... %d more", len(out)-20))
	}
	return strings.Join(out, "\n")
}

// isolationLines returns the 1-based line numbers that the isolation fields
// (key through last value line) of every pod spec in a file span, the items
// of Lists included.
func isolationLines(t *testing.T, table *workload.Table, text string) map[int]bool {
	t.Helper()
	lines := map[int]bool{}
	textLines := splitLines(text)
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); err != nil {
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		var visit func(obj *yaml.Node)
		visit = func(obj *yaml.Node) {
			rn := yaml.NewRNode(obj)
			if rn.GetKind() == "List" {
				if items := rn.Field("items"); items != nil {
					for _, item := range items.Value.YNode().Content {
						visit(item)
					}
				}
				return
			}
			fields, ok := podSpecFields(table, map[string]any{"apiVersion": rn.GetApiVersion(), "kind": rn.GetKind()})
			if !ok {
				return
			}
			spec, err := rn.Pipe(yaml.Lookup(fields...))
			if err != nil || spec == nil {
				return
			}
			content := spec.YNode().Content
			for i := 0; i+1 < len(content); i += 2 {
				for _, f := range isolationFields {
					if content[i].Value == f {
						last := lastLine(content[i+1])
						if content[i+1].Style&yaml.FlowStyle != 0 {
							// A flow collection ends at its closing bracket,
							// which the node does not record: take the lines
							// after its last value that hold only brackets.
							for last < len(textLines) && closingOnly.MatchString(textLines[last]) {
								last++
							}
						}
						for l := content[i].Line; l <= last; l++ {
							lines[l] = true
						}
					}
				}
			}
		}
		visit(doc.Content[0])
	}
	return lines
}

// closingOnly matches a line of closing brackets, as flow collections (JSON)
// end.
var closingOnly = regexp.MustCompile(`^[\s\]}]*,?\s*$`)

// lastLine is the last line a YAML node's text reaches.
func lastLine(n *yaml.Node) int {
	last := n.Line + strings.Count(n.Value, "\n")
	for _, c := range n.Content {
		last = max(last, lastLine(c))
	}
	return last
}
