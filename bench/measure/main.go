// Command measure runs the benchmark scenarios of BENCHMARKS.md: it
// generates the inputs, runs every command several times interleaved (so a
// noisy machine slows all of them alike), and prints medians and ratios.
//
//	go run ./bench/measure -bin bin/bench -reps 5 -sizes 1000,10000,100000
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/isolate-workloads/isolate-workloads/internal/fsutil"
)

type scenario struct {
	name     string
	size     int
	baseline string // the scenario this one is compared with
	cmd      func() *exec.Cmd
	prepare  func() error
}

type sample struct {
	wall time.Duration
	rss  int64 // KB
}

func main() {
	bin := flag.String("bin", "bin/bench", "directory with isolate-workloads, identity, identity-krmio and gen")
	reps := flag.Int("reps", 5, "measurements per scenario (the median is reported)")
	sizesFlag := flag.String("sizes", "1000,10000,100000", "ResourceList sizes")
	dirSize := flag.Int("dir-size", 10000, "resources in the directory-mode comparison with kpt (0: skip it)")
	kustomizeSize := flag.Int("kustomize-size", 1000, "resources in the kustomize comparison (0: skip it)")
	work := flag.String("work", "", "scratch directory (default: a temporary one)")
	flag.Parse()

	if *work == "" {
		dir, err := os.MkdirTemp("", "isolate-bench-")
		check(err)
		defer os.RemoveAll(dir)
		*work = dir
	}
	abs := func(p string) string { a, err := filepath.Abs(p); check(err); return a }
	binDir := abs(*bin)
	fnBin := filepath.Join(binDir, "isolate-workloads")
	gen := filepath.Join(binDir, "gen")

	var sizes []int
	for _, s := range strings.FieldsFunc(*sizesFlag, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		check(err)
		sizes = append(sizes, n)
	}

	var scenarios []*scenario
	stdinCmd := func(path string, input string, args ...string) func() *exec.Cmd {
		return func() *exec.Cmd {
			c := exec.Command(path, args...)
			f, err := os.Open(input)
			check(err)
			c.Stdin = f
			return c
		}
	}
	for _, n := range sizes {
		input := filepath.Join(*work, fmt.Sprintf("rl-%d.yaml", n))
		writeCmdOutput(input, gen, "-n", strconv.Itoa(n), "-seed", "1")
		scenarios = append(scenarios,
			&scenario{name: "identity (fn.AsMain)", size: n, cmd: stdinCmd(filepath.Join(binDir, "identity"), input)},
			&scenario{name: "identity (krmio)", size: n, cmd: stdinCmd(filepath.Join(binDir, "identity-krmio"), input)},
			&scenario{name: "isolate-workloads", size: n, baseline: "identity (fn.AsMain)", cmd: stdinCmd(fnBin, input)},
		)
	}

	// Directory mode against kpt fn eval --exec, on fresh copies each time.
	pkg := filepath.Join(*work, "pkg")
	ours, theirs := filepath.Join(*work, "pkg-ours"), filepath.Join(*work, "pkg-kpt")
	if *dirSize > 0 {
		run(gen, "-n", strconv.Itoa(*dirSize), "-seed", "1", "-format", "dir", "-out", pkg)
		scenarios = append(scenarios,
			&scenario{name: "run DIR (directory mode)", size: *dirSize,
				prepare: func() error { return fsutil.CopyTree(pkg, ours) },
				cmd: func() *exec.Cmd {
					return exec.Command(fnBin, "run", "--config", filepath.Join(ours, "isolation.yaml"), ours)
				}},
			&scenario{name: "kpt fn eval --exec", size: *dirSize,
				prepare: func() error { return fsutil.CopyTree(pkg, theirs) },
				cmd: func() *exec.Cmd {
					return exec.Command("kpt", "fn", "eval", theirs, "--exec", fnBin, "--fn-config", filepath.Join(theirs, "isolation.yaml"))
				}},
		)
	}

	if *kustomizeSize > 0 {
		// kustomize: the function as an exec transformer, and plain patches
		// doing the same job, at a size kustomize's quadratic cost allows.
		kz := filepath.Join(*work, "kustomize")
		prepareKustomize(gen, fnBin, kz, *kustomizeSize)
		kustomize := "kustomize"
		if p := filepath.Join(binDir, "..", "tools", "kustomize"); exists(p) {
			kustomize = p
		}
		scenarios = append(scenarios,
			&scenario{name: "kustomize + isolate-workloads (exec)", size: *kustomizeSize, cmd: func() *exec.Cmd {
				return exec.Command(kustomize, "build", "--enable-alpha-plugins", "--enable-exec", filepath.Join(kz, "function"))
			}},
			&scenario{name: "kustomize + patches", size: *kustomizeSize, cmd: func() *exec.Cmd {
				return exec.Command(kustomize, "build", filepath.Join(kz, "patches"))
			}},
		)
	}

	samples := map[*scenario][]sample{}
	for r := 0; r < *reps; r++ {
		for _, s := range scenarios {
			m := measure(s)
			samples[s] = append(samples[s], m)
			fmt.Fprintf(os.Stderr, "rep %d/%d %-38s %7d  %v\n", r+1, *reps, s.name, s.size, formatWall(m.wall))
		}
	}

	fmt.Printf("Machine: %s, %d CPUs, %s; median of %d interleaved runs.\n\n", runtime.GOOS+"/"+runtime.GOARCH, runtime.NumCPU(), goVersion(), *reps)
	fmt.Println("| scenario | resources | wall (median) | peak RSS (median) | wall ratio | RSS ratio |")
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	medianOf := map[string]sample{}
	for _, s := range scenarios {
		m := median(samples[s])
		medianOf[fmt.Sprintf("%s@%d", s.name, s.size)] = m
		ratio, rssRatio := "", ""
		if s.baseline != "" {
			b := medianOf[fmt.Sprintf("%s@%d", s.baseline, s.size)]
			ratio = fmt.Sprintf("%.2f× %s", float64(m.wall)/float64(b.wall), s.baseline)
			rssRatio = fmt.Sprintf("%.2f×", float64(m.rss)/float64(b.rss))
			k := medianOf[fmt.Sprintf("identity (krmio)@%d", s.size)]
			ratio += fmt.Sprintf("; %.2f× identity (krmio)", float64(m.wall)/float64(k.wall))
			rssRatio += fmt.Sprintf("; %.2f×", float64(m.rss)/float64(k.rss))
		}
		fmt.Printf("| %s | %d | %s | %d MB | %s | %s |\n", s.name, s.size, formatWall(m.wall), m.rss/1024, ratio, rssRatio)
	}
	if len(sizes) > 1 || *dirSize > 0 {
		fmt.Println()
		fmt.Println("Growth of isolate-workloads per 10× more resources:")
		fmt.Println()
	}
	for i := 1; i < len(sizes); i++ {
		a := medianOf[fmt.Sprintf("isolate-workloads@%d", sizes[i-1])]
		b := medianOf[fmt.Sprintf("isolate-workloads@%d", sizes[i])]
		fmt.Printf("- %d → %d: time %.2f×, memory %.2f×\n", sizes[i-1], sizes[i], float64(b.wall)/float64(a.wall), float64(b.rss)/float64(a.rss))
	}
	if *dirSize > 0 {
		d, k := medianOf[fmt.Sprintf("run DIR (directory mode)@%d", *dirSize)], medianOf[fmt.Sprintf("kpt fn eval --exec@%d", *dirSize)]
		fmt.Printf("- directory mode vs kpt fn eval at %d: %.1f× faster\n", *dirSize, float64(k.wall)/float64(d.wall))
		fmt.Printf("- directory mode and kpt produce the same resources: %v\n", sameResources(fnBin, ours, theirs))
	}
}

// measure times one run of a scenario, and takes its peak RSS from GNU time
// in a separate run: a child's own maxrss also counts the memory of the
// parent it was forked from, which would hide the small runs.
func measure(s *scenario) sample {
	m := sample{wall: runOnce(s, nil)}
	runOnce(s, &m.rss)
	return m
}

// formatWall rounds to the millisecond, keeping two decimals below 100 ms.
func formatWall(d time.Duration) string {
	if d < 100*time.Millisecond {
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

// runOnce runs the command once and returns its wall time; with rss set, it
// runs it under /usr/bin/time and reads the peak RSS in KB.
func runOnce(s *scenario, rss *int64) time.Duration {
	if s.prepare != nil {
		check(s.prepare())
	}
	c := s.cmd()
	var report string
	if rss != nil {
		f, err := os.CreateTemp("", "rss-")
		check(err)
		f.Close()
		report = f.Name()
		defer os.Remove(report)
		c.Args = append([]string{"/usr/bin/time", "-f", "%M", "-o", report}, c.Args...)
		c.Path = "/usr/bin/time"
	}
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = nil, &stderr
	start := time.Now()
	if err := c.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n%s", s.name, err, stderr.String())
		os.Exit(1)
	}
	elapsed := time.Since(start)
	if rss != nil {
		kb, err := strconv.ParseInt(strings.TrimSpace(mustRead(report)), 10, 64)
		check(err)
		*rss = kb
	}
	return elapsed
}

func median(xs []sample) sample {
	ws := append([]sample(nil), xs...)
	sort.Slice(ws, func(i, j int) bool { return ws[i].wall < ws[j].wall })
	m := ws[len(ws)/2]
	rs := append([]sample(nil), xs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].rss < rs[j].rss })
	m.rss = rs[len(rs)/2].rss
	return m
}

// sameResources compares the two packages resource by resource, printed
// with the function's own directory mode (-o stdout) so the formatting of
// both sides is the same.
func sameResources(fnBin, a, b string) bool {
	config := filepath.Join(a, "isolation.yaml")
	noop := filepath.Join(filepath.Dir(a), "noop.yaml")
	check(os.WriteFile(noop, []byte(strings.Replace(mustRead(config), "labelSelector: isolation=untrusted", "labelSelector: isolation=nobody", 1)), 0o644))
	norm := func(dir string) string {
		out, err := exec.Command(fnBin, "run", "--config", noop, "-o", "stdout", dir).Output()
		check(err)
		return canonical(string(out))
	}
	return norm(a) == norm(b)
}

// canonical drops the annotations kpt adds while it runs and sorts the documents.
func canonical(stream string) string {
	docs := strings.Split(stream, "\n---\n")
	for i, d := range docs {
		var lines []string
		for _, l := range strings.Split(d, "\n") {
			if strings.Contains(l, "config.kubernetes.io/") {
				continue
			}
			lines = append(lines, l)
		}
		docs[i] = strings.TrimSpace(strings.Join(lines, "\n"))
	}
	sort.Strings(docs)
	return strings.Join(docs, "\n---\n")
}

func prepareKustomize(gen, fnBin, dir string, n int) {
	base := filepath.Join(dir, "base")
	run(gen, "-n", strconv.Itoa(n), "-seed", "1", "-format", "dir", "-out", base)
	genConfig := mustRead(filepath.Join(base, "isolation.yaml"))
	check(os.Remove(filepath.Join(base, "isolation.yaml")))
	entries, err := os.ReadDir(base)
	check(err)
	var res []string
	for _, e := range entries {
		res = append(res, "- "+e.Name())
	}
	check(os.WriteFile(filepath.Join(base, "kustomization.yaml"), []byte("resources:\n"+strings.Join(res, "\n")+"\n"), 0o644))

	fnDir := filepath.Join(dir, "function")
	check(os.MkdirAll(fnDir, 0o755))
	check(os.WriteFile(filepath.Join(fnDir, "kustomization.yaml"), []byte("resources:\n- ../base\ntransformers:\n- isolation.yaml\n"), 0o644))
	config := strings.Replace(genConfig, "  annotations:\n",
		"  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: "+fnBin+"\n", 1)
	check(os.WriteFile(filepath.Join(fnDir, "isolation.yaml"), []byte(config), 0o644))

	// The same placement as strategic-merge patches, one per pod spec path.
	patchDir := filepath.Join(dir, "patches")
	check(os.MkdirAll(patchDir, 0o755))
	placement := func(indent string) string {
		body := "tolerations:\n- key: workloadType\n  operator: Equal\n  value: untrusted\n  effect: NoExecute\naffinity:\n  nodeAffinity:\n    requiredDuringSchedulingIgnoredDuringExecution:\n      nodeSelectorTerms:\n      - matchExpressions:\n        - key: workloadType\n          operator: In\n          values: [untrusted]\n"
		return indent + strings.ReplaceAll(strings.TrimRight(body, "\n"), "\n", "\n"+indent) + "\n"
	}
	var k strings.Builder
	k.WriteString("resources:\n- ../base\npatches:\n")
	for _, kind := range []struct{ apiVersion, kind string }{{"apps/v1", "Deployment"}, {"apps/v1", "StatefulSet"}, {"apps/v1", "DaemonSet"}, {"batch/v1", "Job"}} {
		fmt.Fprintf(&k, "- target:\n    kind: %s\n    labelSelector: isolation=untrusted\n  patch: |-\n    apiVersion: %s\n    kind: %s\n    metadata:\n      name: any\n    spec:\n      template:\n        spec:\n%s", kind.kind, kind.apiVersion, kind.kind, placement("          "))
	}
	fmt.Fprintf(&k, "- target:\n    kind: CronJob\n    labelSelector: isolation=untrusted\n  patch: |-\n    apiVersion: batch/v1\n    kind: CronJob\n    metadata:\n      name: any\n    spec:\n      jobTemplate:\n        spec:\n          template:\n            spec:\n%s", placement("              "))
	fmt.Fprintf(&k, "- target:\n    kind: Pod\n    labelSelector: isolation=untrusted\n  patch: |-\n    apiVersion: v1\n    kind: Pod\n    metadata:\n      name: any\n    spec:\n%s", placement("      "))
	check(os.WriteFile(filepath.Join(patchDir, "kustomization.yaml"), []byte(k.String()), 0o644))
}

func writeCmdOutput(path, name string, args ...string) {
	out, err := exec.Command(name, args...).Output()
	check(err)
	check(os.WriteFile(path, out, 0o644))
}

func run(name string, args ...string) {
	c := exec.Command(name, args...)
	c.Stderr = os.Stderr
	check(c.Run())
}

func mustRead(p string) string {
	data, err := os.ReadFile(p)
	check(err)
	return string(data)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func goVersion() string { return runtime.Version() }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
}
