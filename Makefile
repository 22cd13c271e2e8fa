# isolate-workloads: a KRM function that pins chosen workloads to a dedicated, tainted node pool.

SHELL := bash
.DEFAULT_GOAL := help

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
BIN     := bin/isolate-workloads
# The live mode of verify (--kubeconfig, --in-cluster) is a second binary,
# so the function does not link client-go; the function runs it from its
# own directory or PATH.
LIVE_BIN := bin/isolate-workloads-live
TOOLS   := $(CURDIR)/bin/tools
KUSTOMIZE_VERSION := v5.7.1
# -trimpath and a fixed build ID make the binary reproducible from the same commit.
GO_BUILD := CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -buildid= -X main.version=$(VERSION)"

export PATH := $(TOOLS):$(PATH)

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^##@/ {printf "\n%s\n", substr($$0, 5)} /^[a-zA-Z_-]+:.*##/ {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Build

.PHONY: build
build: ## Build the function binary and its live-verify sibling into bin/.
	$(GO_BUILD) -o $(BIN) ./function
	$(GO_BUILD) -o $(LIVE_BIN) ./function/live

IMAGE ?= ghcr.io/isolate-workloads/isolate-workloads:v0.1.0
# CONTAINER_ENGINE builds the image; podman needs no daemon.
CONTAINER_ENGINE ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)

.PHONY: dist
dist: ## Build the static linux/amd64 binaries the image copies (dist/isolate-workloads, dist/isolate-workloads-live).
	GOOS=linux GOARCH=amd64 $(GO_BUILD) -o dist/isolate-workloads ./function
	GOOS=linux GOARCH=amd64 $(GO_BUILD) -o dist/isolate-workloads-live ./function/live

.PHONY: image
image: dist ## Build the container image $(IMAGE).
	$(CONTAINER_ENGINE) build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

##@ Run

.PHONY: example
example: build $(TOOLS)/kustomize ## Run the examples end to end with real kustomize (exec function, no container engine).
	kustomize build --enable-alpha-plugins --enable-exec examples/kustomization/exec
	PATH="$(CURDIR)/bin:$$PATH" kustomize build --enable-alpha-plugins --enable-exec examples/multi-tenant

##@ Test

.PHONY: test
# The oracles module holds the tests that link the API server's own code
# (see oracles/go.mod); ./... does not reach into a nested module.
test: tools controlplane ## Run the whole test suite, real kustomize, kpt and control plane included.
	go test ./...
	cd oracles && go test ./...

.PHONY: fmt
fmt: ## Format the code.
	gofmt -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## Run go vet (both modules) and check formatting.
	go vet ./...
	cd oracles && go vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }

##@ Benchmarks

.PHONY: bench
bench: ## Measure time and memory against the identity function, kpt and kustomize (see BENCHMARKS.md).
	bench/run.sh

.PHONY: bench-cluster
bench-cluster: ## Measure verify --kubeconfig against kubectl | verify on a real control plane (2,000 pods, 200 nodes).
	bench/cluster.sh


##@ Tools

HELM3_VERSION := v3.22.0
HELM4_VERSION := v4.3.1
# Both majors side by side: Helm 3 runs a post-renderer executable and
# never shows it hooks, Helm 4 runs a post-renderer plugin on everything.
HELM3 := $(TOOLS)/helm-$(HELM3_VERSION)/helm
HELM4 := $(TOOLS)/helm-$(HELM4_VERSION)/helm

.PHONY: tools
tools: $(TOOLS)/kustomize $(HELM3) $(HELM4) ## Install the clients the tests use (kustomize, Helm 3 and 4) into bin/tools.

.PHONY: controlplane
controlplane: ## Build the control plane the cluster tests start into bin/tools (first run only, about 15-18 minutes).
	hack/controlplane.sh

$(TOOLS)/kustomize:
	GOBIN=$(TOOLS) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

$(HELM3):
	GOBIN=$(dir $@) go install helm.sh/helm/v3/cmd/helm@$(HELM3_VERSION)

$(HELM4):
	GOBIN=$(dir $@) go install helm.sh/helm/v4/cmd/helm@$(HELM4_VERSION)
