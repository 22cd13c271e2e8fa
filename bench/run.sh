#!/usr/bin/env bash
# make bench: build the binaries and run every scenario of BENCHMARKS.md.
# Tunables: BENCH_REPS (default 5), BENCH_SIZES (default 1000,10000,100000),
# BENCH_DIR_SIZE (10000; 0 skips it), BENCH_KUSTOMIZE_SIZE (1000; 0 skips it), BENCH_OUT (the report,
# default bench/out/results.md).
set -euo pipefail
cd "$(dirname "$0")/.."
out=bin/bench
mkdir -p "$out" "$(dirname "${BENCH_OUT:-bench/out/results.md}")"
# Each binary is rewritten in one sequential copy, as installing or unpacking
# it would: a file as the linker leaves it starts up measurably slower.
build() {
  CGO_ENABLED=0 go build -trimpath -o "$out/$1.linked" "$2"
  cp "$out/$1.linked" "$out/$1" && rm "$out/$1.linked"
}
build isolate-workloads ./function
build identity ./bench/identity
build identity-krmio ./bench/identity-krmio
build gen ./bench/gen
command -v kpt >/dev/null || { echo "bench: kpt is needed on PATH" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed for peak RSS: apt-get install -y time" >&2; exit 1; }
[ -x bin/tools/kustomize ] || command -v kustomize >/dev/null || make tools
{
  echo "Measured on $(date -u +%Y-%m-%d), $(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM,"
  echo "kpt $(kpt version 2>/dev/null | head -1), kustomize $( (bin/tools/kustomize version 2>/dev/null || kustomize version) | head -1)."
  echo
  go run ./bench/measure -bin "$out" \
    -reps "${BENCH_REPS:-5}" -sizes "${BENCH_SIZES-1000,10000,100000}" \
    -dir-size "${BENCH_DIR_SIZE:-10000}" -kustomize-size "${BENCH_KUSTOMIZE_SIZE:-1000}"
  echo
  bench/corpus-diff.sh
} | tee "${BENCH_OUT:-bench/out/results.md}"
