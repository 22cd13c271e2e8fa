# The isolate-workloads KRM function image.
#
# Design: the image holds two static binaries and nothing else (no shell, no
# package manager), built FROM scratch: the function, and
# isolate-workloads-live, which the function runs for `verify --kubeconfig`
# and `--in-cluster` (a second binary so that the function, started once per
# render, does not link client-go). The binaries are compiled on the build
# host by `make image` (CGO_ENABLED=0, -trimpath, version stamped with
# -ldflags) and copied in, so the build pulls no base image from a registry:
# it works on air-gapped CI machines and with podman as well as with plain
# `docker build` (run `make dist` first, or just `make image`).
#
# kustomize runs container functions with `--user nobody`, so the image
# carries an /etc/passwd with a `nobody` entry; it runs as that non-root
# user by default too.
FROM scratch

ARG VERSION=dev
LABEL org.opencontainers.image.title="isolate-workloads" \
      org.opencontainers.image.description="KRM function that pins chosen workloads to a dedicated, tainted node pool" \
      org.opencontainers.image.source="https://github.com/isolate-workloads/isolate-workloads" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"

COPY image/passwd /etc/passwd
COPY image/group /etc/group
COPY LICENSE /LICENSE
COPY dist/isolate-workloads /usr/local/bin/isolate-workloads
COPY dist/isolate-workloads-live /usr/local/bin/isolate-workloads-live

USER 65534:65534
ENTRYPOINT ["/usr/local/bin/isolate-workloads"]
