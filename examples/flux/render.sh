#!/usr/bin/env bash
# Flux's kustomize-controller runs no KRM functions, so render in CI and let
# Flux reconcile the rendered directory. Run from the repository root with
# kustomize and isolate-workloads on PATH:
#   examples/flux/render.sh [APP_DIR] [OUT_DIR]
# then commit OUT_DIR (or push it as an OCI artifact with `flux push artifact`).
set -euo pipefail
app=${1:-examples/flux/app}
out=${2:-examples/flux/rendered}
mkdir -p "$out"
kustomize build --enable-alpha-plugins --enable-exec "$app" > "$out/manifests.yaml.tmp"
mv "$out/manifests.yaml.tmp" "$out/manifests.yaml"
echo "rendered $app into $out/manifests.yaml"
