#!/usr/bin/env bash
# Builds the real control plane the e2e tests start (kube-apiserver, kube-scheduler,
# kube-controller-manager v1.37.2 and etcd v3.7.3) from source through the Go module proxy
# into bin/tools/controlplane-<versions>/. Builds only what is missing, so only the first
# run pays (about 15-18 minutes on 2 cores). Prints the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
K8S_VERSION=v1.37.2
ETCD_VERSION=v3.7.3
out="$root/bin/tools/controlplane-k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$out"
export GOTOOLCHAIN=local CGO_ENABLED=0

# The version stamps the binaries report (without them they say v0.0.0-master).
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"

for cmd in kube-apiserver kube-scheduler kube-controller-manager; do
  if [ ! -x "$out/$cmd" ]; then
    echo "building $cmd $K8S_VERSION (first run only)" >&2
    (cd tools/controlplane && go build -trimpath -ldflags "$ldflags" -o "$out/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
    mv "$out/$cmd.tmp" "$out/$cmd"
  fi
done
if [ ! -x "$out/etcd" ]; then
  echo "building etcd $ETCD_VERSION (first run only)" >&2
  (cd tools/controlplane/etcd && go build -trimpath -ldflags "-s -w" -o "$out/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$out/etcd.tmp" "$out/etcd"
fi
echo "$out"
