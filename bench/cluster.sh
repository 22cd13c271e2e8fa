#!/usr/bin/env bash
# make bench-cluster: verify --kubeconfig against kubectl | verify on a real
# control plane with 2,000 pods on 200 nodes (see BENCHMARKS.md). Builds the
# control plane (make controlplane) and kubectl v1.37.2 from the same tools
# module when missing. Tunables: BENCH_PODS, BENCH_NODES, BENCH_REPS.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
[ -x /usr/bin/time ] || { echo "bench: GNU time is needed for peak RSS: apt-get install -y time" >&2; exit 1; }
hack/controlplane.sh >/dev/null
kubectl=bin/tools/kubectl-v1.37.2
if [ ! -x "$kubectl" ]; then
  # The tools module's go.sum covers the control plane only; kubectl's
  # extra dependencies are resolved in a scratch copy of it, so the module
  # the tests depend on stays as it is.
  echo "building kubectl v1.37.2 (first run only, a few minutes)" >&2
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp tools/controlplane/go.mod tools/controlplane/go.sum tools/controlplane/tools.go "$scratch/"
  (cd "$scratch" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v1.37.2" -o "$OLDPWD/$kubectl.tmp" k8s.io/kubernetes/cmd/kubectl)
  mv "$kubectl.tmp" "$kubectl"
fi
mkdir -p bin/bench
CGO_ENABLED=0 go build -trimpath -o bin/bench/isolate-workloads ./function
# The function runs its sibling for --kubeconfig, as users' installs do.
CGO_ENABLED=0 go build -trimpath -o bin/bench/isolate-workloads-live ./function/live
BENCH_BIN=$PWD/bin/bench/isolate-workloads BENCH_KUBECTL=$PWD/$kubectl \
  go test -tags clusterbench -count=1 -timeout 30m -run TestMeasure ./bench/cluster/ -v 2>&1 | grep -v '^=== RUN\|^--- PASS\|^PASS\|^ok '
