#!/usr/bin/env bash
# The review cost of a render: git diff lines on the real-world corpus when
# one workload is isolated, directory mode against kpt fn eval.
set -euo pipefail
cd "$(dirname "$0")/.."
fn=$PWD/bin/bench/isolate-workloads
[ -x "$fn" ] || CGO_ENABLED=0 go build -o "$fn" ./function
config=$PWD/testdata/corpus/isolation.yaml
diffstat() { # dir command...
  local dir=$1; shift
  rm -rf "$dir" && mkdir -p "$dir" && cp testdata/corpus/manifests/*.yaml "$dir"/
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.email=b@e -c user.name=bench commit -qm corpus
  "$@" >/dev/null 2>&1
  local files lines
  files=$(git -C "$dir" diff --numstat | wc -l)
  lines=$(git -C "$dir" diff --numstat | awk '{s+=$1+$2} END {print s+0}')
  echo "$files files, $lines changed lines"
}
work=$(mktemp -d)
echo "Corpus (testdata/corpus, 12 files), isolating the descheduler CronJob; \`git diff\` afterwards:"
echo
echo "- isolate-workloads run: $(diffstat "$work/ours" "$fn" run --config "$config" "$work/ours")"
echo "- kpt fn eval --exec:    $(diffstat "$work/kpt" kpt fn eval "$work/kpt" --exec "$fn" --fn-config "$config")"
rm -rf "$work"
