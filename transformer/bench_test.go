package transformer

import (
	"bytes"
	"fmt"
	"os/exec"
	"testing"

	"github.com/kptdev/krm-functions-sdk/go/fn"

	"github.com/isolate-workloads/isolate-workloads/internal/krmio"
)

// benchInput generates n resources with the seeded generator in bench/gen.
func benchInput(b *testing.B, n int, extra ...string) []byte {
	b.Helper()
	args := append([]string{"run", "../bench/gen", "-n", fmt.Sprint(n), "-seed", "1"}, extra...)
	out, err := exec.Command("go", args...).Output()
	if err != nil {
		b.Fatalf("generating the input: %v", err)
	}
	return out
}

func benchmarkRun(b *testing.B, n int) { benchmarkTransform(b, benchInput(b, n)) }

// benchmarkTransform times Run alone: parsing is outside the timer.
func benchmarkTransform(b *testing.B, input []byte) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rl, err := fn.ParseResourceList(input)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if ok, err := Run(rl); !ok || err != nil {
			b.Fatalf("run failed: %v %v", err, rl.Results)
		}
	}
}

// The transform alone, without parsing and printing, at 100, 1k and 10k resources.
func BenchmarkTransform100(b *testing.B) { benchmarkRun(b, 100) }
func BenchmarkTransform1k(b *testing.B)  { benchmarkRun(b, 1000) }
func BenchmarkTransform10k(b *testing.B) { benchmarkRun(b, 10000) }

// benchmarkEndToEnd measures bytes in, bytes out, as the binary does, next
// to the identity function in the same run.
func benchmarkEndToEnd(b *testing.B, p fn.ResourceListProcessorFunc, n int) {
	input := benchInput(b, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := fn.Run(p, input)
		if err != nil || len(out) == 0 {
			b.Fatal(err)
		}
	}
}

func identity(*fn.ResourceList) (bool, error) { return true, nil }

func BenchmarkEndToEndIdentity1k(b *testing.B)  { benchmarkEndToEnd(b, identity, 1000) }
func BenchmarkEndToEndIdentity10k(b *testing.B) { benchmarkEndToEnd(b, identity, 10000) }
func BenchmarkEndToEndIsolate1k(b *testing.B)   { benchmarkEndToEnd(b, Run, 1000) }
func BenchmarkEndToEndIsolate10k(b *testing.B)  { benchmarkEndToEnd(b, Run, 10000) }

// Worst cases: every workload selected, with many tolerations and many
// affinity terms already there.
func BenchmarkTransformWorstCase(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nfunctionConfig:\n  apiVersion: fn.kpt.dev/v1alpha1\n  kind: WorkloadIsolation\n  metadata: {name: w}\n  spec:\n    nodePool:\n      name: p\n      taints: [{key: workloadType, value: untrusted, effect: NoExecute}, {key: b, value: c, effect: NoSchedule}]\n      labels: {workloadType: untrusted, b: c}\n    selectors: [{}]\n    audit: {managedComponentsPool: \"off\"}\nitems:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&buf, "- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: d%d, namespace: ns}\n  spec:\n    template:\n      spec:\n        containers: [{name: c, image: i}]\n        tolerations:\n", i)
		for j := 0; j < 30; j++ {
			fmt.Fprintf(&buf, "        - {key: k%d, operator: Equal, value: v, effect: NoSchedule}\n", j)
		}
		buf.WriteString("        affinity:\n          nodeAffinity:\n            requiredDuringSchedulingIgnoredDuringExecution:\n              nodeSelectorTerms:\n")
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&buf, "              - matchExpressions: [{key: zone, operator: In, values: [z%d]}, {key: arch, operator: In, values: [amd64]}]\n", j)
		}
	}
	benchmarkTransform(b, buf.Bytes())
}

// benchmarkBinary measures what the binary does: krmio.Run.
func benchmarkBinary(b *testing.B, p fn.ResourceListProcessorFunc, n int) {
	input := benchInput(b, n)
	b.ReportAllocs()
	b.SetBytes(int64(len(input)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := krmio.Run(p, input); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBinaryIdentity10k(b *testing.B) { benchmarkBinary(b, identity, 10000) }
func BenchmarkBinaryIsolate10k(b *testing.B)  { benchmarkBinary(b, Run, 10000) }
