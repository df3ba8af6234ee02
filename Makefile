# EfA contract registry — build, test and measure.
SHELL       := /bin/bash
GO          ?= go
BIN         := $(CURDIR)/bin
STATICCHECK := $(BIN)/staticcheck
BENCHSTAT   := $(BIN)/benchstat
# Versions of the tools installed from the Go module proxy.
STATICCHECK_VERSION := v0.8.2
BENCHSTAT_VERSION   := v0.0.0-20260908200009-22c9c6c9d4da

# BENCH_COUNT repetitions give benchstat its medians and spread.
BENCH_COUNT ?= 6
# LOAD_TXS transactions are committed by `make bench-memory`.
LOAD_TXS    ?= 1000000
# SCALE_AGREEMENTS agreements fill the large ledger of `make bench-scale`.
SCALE_AGREEMENTS ?= 1000000
# FUZZTIME is how long `make fuzz` fuzzes act decoding and validation;
# TEST_FUZZTIME how long `make test` fuzzes the HTTP act bodies.
FUZZTIME      ?= 5m
TEST_FUZZTIME ?= 30s

# The native Fabric network (see network/): directory and first port.
NETWORK_DIR  ?= network/run
NETWORK_PORT ?= 17000
REGISTRYCTL  := $(BIN)/registryctl

.PHONY: all build wasm run test test-fabric test-compose test-fabric-bft bench bench-api bench-scale bench-memory fuzz lint fmt tools clean network-up network-down network-status

all: lint test

## build: the commands, into ./bin, and the browser's verifier (wasm)
build: wasm
	$(GO) build -o $(BIN)/ $$($(GO) list ./cmd/... | grep -v /verifier-wasm)

# The browser's verifier and Go's loader for it: generated, not committed.
WASM_DIR := web/static

## wasm: the offline proof verifier compiled to WebAssembly,
## web/static/verifier.wasm (and gzipped, as web serves it), beside Go's
## wasm_exec.js that loads it (compressed again only when it changed)
wasm:
	mkdir -p $(WASM_DIR)
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WASM_DIR)/verifier.wasm.new ./cmd/verifier-wasm
	@set -e; cd $(WASM_DIR); \
	if cmp -s verifier.wasm.new verifier.wasm && [ -f verifier.wasm.gz ]; then rm verifier.wasm.new; \
	else mv verifier.wasm.new verifier.wasm; gzip -6 -n -c verifier.wasm > verifier.wasm.gz.tmp; mv verifier.wasm.gz.tmp verifier.wasm.gz; fi
	install -m 644 "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(WASM_DIR)/wasm_exec.js

## run: the registry on its embedded ledger in ./data, with demo data on first start
run: build
	$(BIN)/registry-api --demo

## network-up / network-down / network-status: the native Fabric network
network-up: build
	$(REGISTRYCTL) network up --dir $(NETWORK_DIR) --base-port $(NETWORK_PORT)

network-down: build
	$(REGISTRYCTL) network down --dir $(NETWORK_DIR) --base-port $(NETWORK_PORT)

network-status: build
	$(REGISTRYCTL) network status --dir $(NETWORK_DIR) --base-port $(NETWORK_PORT)

## test: vet and run every test (the crash test, the ethers cross-check,
## which installs ethers from npm, and the browser tests, which install
## Chromium and axe-core, included), then bring a native Fabric network up,
## run the conformance and fault tests on it, and take it down; then the same
## network in Docker containers (test-compose); what CI runs
test: build
	$(GO) vet ./...
	$(GO) vet -tags fabric,fabricrestart,compose,docker,addorg ./...
	$(GO) test -count=1 ./...
	$(GO) test -count=1 -race -short ./ledger/...
	$(GO) test -run '^$$' -fuzz FuzzActBody -fuzztime $(TEST_FUZZTIME) ./api/
	$(MAKE) test-fabric
	$(MAKE) test-compose

# A network of its own for the tests, on ports apart from network-up's.
TEST_NETWORK_PORT ?= 27000

## test-fabric: the conformance suite, the fault tests and the proof tests (one
## package at a time: the fault tests stop nodes) on
## a fresh native Fabric network, then a restart of the whole network and the
## proof bundles after it (failing start: the node logs are printed)
test-fabric: build
	@set -e; dir=$$(mktemp -d -t registry-network.XXXXXX); \
	trap '$(REGISTRYCTL) network down --dir "$$dir" --base-port $(TEST_NETWORK_PORT); rm -rf "$$dir"' EXIT; \
	$(REGISTRYCTL) network up --dir "$$dir" --base-port $(TEST_NETWORK_PORT); \
	$(GO) test -count=1 -p 1 -tags fabric ./chaincode/ ./api/ ./proof/ ./web/ -fabric "$$dir" -fabric-port $(TEST_NETWORK_PORT); \
	$(GO) test -count=1 -tags fabric -run TestEventFeedResumesExactlyAcrossKill9 ./cmd/registry-api/ -fabric "$$dir" -fabric-port $(TEST_NETWORK_PORT) && \
	$(GO) test -count=1 -tags fabric,fabricrestart -run TestProofAfterNetworkRestart ./api/ -fabric "$$dir" -fabric-port $(TEST_NETWORK_PORT) && \
	$(GO) test -count=1 -tags fabric,addorg -run TestAddOrgJoinsTheChannel ./network/ -fabric "$$dir" -fabric-port $(TEST_NETWORK_PORT)
	$(MAKE) test-fabric-bft

# The BFT network's ports, apart from the Raft test network's.
TEST_BFT_PORT ?= 28000

## test-fabric-bft: proof bundles on a fresh network with four SmartBFT
## orderers: blocks signed by a quorum of consenters, verified and tampered with
test-fabric-bft: build
	@set -e; dir=$$(mktemp -d -t registry-bft.XXXXXX); \
	trap '$(REGISTRYCTL) network down --dir "$$dir" --base-port $(TEST_BFT_PORT); rm -rf "$$dir"' EXIT; \
	$(REGISTRYCTL) network up --bft --dir "$$dir" --base-port $(TEST_BFT_PORT); \
	$(GO) test -count=1 -p 1 -tags fabric -run 'TestFabricEvidence|TestAuditors' ./proof/ ./api/ -fabric "$$dir" -fabric-port $(TEST_BFT_PORT)

# The network in containers of test-compose, on ports apart from the others.
TEST_COMPOSE_PORT ?= 29000

## test-compose: the same network in Docker containers (registryctl network up
## --containers: the compose file generated from the native description, a
## Docker network per org and a backbone, TLS by host name, a registry-api per
## member org), on a Docker engine it starts when none runs (Debian's
## docker.io and docker-compose installed when missing) and stops when it
## started it; the images built first (make images); then the conformance,
## fault and proof suites from this machine through the published ports, the
## marketplace across the members' registry-apis, one org's containers
## restarted and its bundles verified again, a fourth member org added to the
## running channel in containers of its own; everything taken down, and
## checked that no container, network or volume is left
test-compose: build
	$(WITH_ENGINE) sh -c 'set -e; $(MAKE) --no-print-directory images; \
	  dir=$$(mktemp -d -t registry-compose.XXXXXX); project=efa-registry-$(TEST_COMPOSE_PORT); \
	  trap "$(REGISTRYCTL) network down --dir $$dir; rm -rf $$dir" EXIT; \
	  $(REGISTRYCTL) network up --containers --dir "$$dir" --base-port $(TEST_COMPOSE_PORT); \
	  $(GO) test -count=1 -p 1 -tags fabric ./chaincode/ ./proof/ -fabric "$$dir" -fabric-port $(TEST_COMPOSE_PORT); \
	  $(GO) test -count=1 -tags fabric,compose ./network/ -fabric "$$dir" -fabric-port $(TEST_COMPOSE_PORT); \
	  $(GO) test -count=1 -tags fabric,addorg -run TestAddOrgJoinsTheChannel ./network/ -fabric "$$dir" -fabric-port $(TEST_COMPOSE_PORT); \
	  $(REGISTRYCTL) network down --dir "$$dir"; \
	  left="$$(docker ps -aq --filter label=com.docker.compose.project=$$project) $$(docker network ls -q --filter label=com.docker.compose.project=$$project) $$(docker volume ls -q --filter label=com.docker.compose.project=$$project)"; \
	  if [ -n "$$(echo $$left)" ]; then echo "test-compose: left behind: $$left"; exit 1; fi; \
	  echo "test-compose: nothing left behind"'

## bench: ledger tx/s at 1, 8, 64 submitters beside raw bbolt, evaluate latency,
## signed registry acts/s beside a trivial Put and ecrecover/s, EIP-712 digests,
## then CPU and bytes of the 3rd, 10th and 100th act of an agreement
bench: $(BENCHSTAT)
	set -o pipefail; { $(GO) test -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) ./ledger/ && \
	  $(GO) test -run '^$$' -bench 'SignedActs|Ecrecover|Digest' -benchmem -count $(BENCH_COUNT) ./chaincode/ ./schema/ && \
	  $(GO) test -run '^$$' -bench ActCost -benchtime 100x -count $(BENCH_COUNT) ./chaincode/; } | tee bench.out
	$(BENCHSTAT) bench.out

## bench-scale: per-act cost on a ledger of 1,000 agreements beside one of
## SCALE_AGREEMENTS (default 1,000,000; seeding that takes about half an hour)
bench-scale:
	$(GO) build -o $(BIN)/ ./test/apibench
	test/apibench/scale.sh $(BIN) $(SCALE_AGREEMENTS)

## fuzz: fuzz act decoding and validation, and the HTTP act bodies, for FUZZTIME each
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeAct -fuzztime $(FUZZTIME) ./schema/
	$(GO) test -run '^$$' -fuzz FuzzActBody -fuzztime $(FUZZTIME) ./api/

## bench-api: GET /v1/offerings/{id} beside a bare gin handler (wrk, alternating
## rounds), then signed acts/s over HTTP; needs wrk (apt-get install wrk)
bench-api: build
	$(GO) build -o $(BIN)/ ./test/apibench
	test/apibench/compare.sh $(BIN)

## bench-memory: resident memory while committing LOAD_TXS transactions
bench-memory:
	$(GO) run ./test/ledgerload -txs $(LOAD_TXS) -submitters 64 -dir $$(mktemp -d)

## lint: go vet and staticcheck
lint: $(STATICCHECK)
	$(GO) vet ./...
	$(STATICCHECK) ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

tools: $(STATICCHECK) $(BENCHSTAT)

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(BENCHSTAT):
	GOBIN=$(BIN) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

clean:
	rm -rf $(BIN) bench.out $(WASM_DIR)/verifier.wasm $(WASM_DIR)/verifier.wasm.gz $(WASM_DIR)/wasm_exec.js

# ---- Docker images (issue 17) ----
# Built FROM scratch of static binaries built here: no image is pulled. The
# build contexts are assembled afresh in IMAGES_DIR (one rootfs per image,
# binaries hard-linked), the Dockerfiles are network/docker/images/*.Dockerfile.
# WITH_ENGINE runs the docker commands with a Docker engine: it installs
# Debian's docker.io and docker-compose when missing, starts
# `dockerd --storage-driver=vfs` when no engine answers, and stops the engine
# it started once its last user is done (internal/dockertest).
IMAGES_DIR     := network/.cache/images
IMAGE_PREFIX   ?= efa-registry
IMAGE_TAG      ?= latest
FABRIC_VERSION := 3.1.1
FABRIC_LDFLAGS := -s -w -X github.com/hyperledger/fabric/common/metadata.Version=$(FABRIC_VERSION)
# e.g. DOCKER_BUILD_FLAGS=--no-cache
DOCKER_BUILD_FLAGS ?=
WITH_ENGINE    := $(GO) run ./internal/dockertest/withengine
IMAGES := peer:$(FABRIC_VERSION) orderer:$(FABRIC_VERSION) chaincode:$(IMAGE_TAG) registry-api:$(IMAGE_TAG)

.PHONY: images test-images

## images: the Docker images FROM scratch: IMAGE_PREFIX/peer:3.1.1 (peer,
## sample core.yaml, our CCaaS builder as /etc/registry/builder/bin/*),
## orderer:3.1.1 (orderer, osnadmin, sample orderer.yaml), chaincode and
## registry-api; static binaries (CGO_ENABLED=0, -trimpath) built on the host
images: wasm
	@set -e; ctx=$(IMAGES_DIR); rm -rf "$$ctx"; mkdir -p "$$ctx/bin"; \
	echo "static binaries into $$ctx/bin"; \
	(cd network/tools && CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(FABRIC_LDFLAGS)' -o "$(CURDIR)/$$ctx/bin/" \
	  github.com/hyperledger/fabric/cmd/peer github.com/hyperledger/fabric/cmd/orderer github.com/hyperledger/fabric/cmd/osnadmin); \
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o "$$ctx/bin/" ./cmd/registry-chaincode ./cmd/registry-api; \
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o "$$ctx/bin/ccaas-builder" ./network/builder; \
	sample="$$(cd network/tools && $(GO) list -m -f '{{.Dir}}' github.com/hyperledger/fabric)/sampleconfig"; \
	for img in peer orderer chaincode registry-api; do mkdir -p "$$ctx/$$img/rootfs/usr/local/bin" "$$ctx/$$img/rootfs/tmp"; chmod 1777 "$$ctx/$$img/rootfs/tmp"; done; \
	r="$$ctx/peer/rootfs"; ln "$$ctx/bin/peer" "$$r/usr/local/bin/"; \
	install -D -m 644 "$$sample/core.yaml" "$$r/etc/hyperledger/fabric/core.yaml"; \
	mkdir -p "$$r/etc/registry/builder/bin" "$$r/opt/hyperledger/ccaas_builder/bin"; \
	for b in detect build release; do \
	  ln "$$ctx/bin/ccaas-builder" "$$r/etc/registry/builder/bin/$$b"; ln "$$ctx/bin/ccaas-builder" "$$r/opt/hyperledger/ccaas_builder/bin/$$b"; done; \
	r="$$ctx/orderer/rootfs"; ln "$$ctx/bin/orderer" "$$ctx/bin/osnadmin" "$$r/usr/local/bin/"; \
	install -D -m 644 "$$sample/orderer.yaml" "$$r/etc/hyperledger/fabric/orderer.yaml"; \
	ln "$$ctx/bin/registry-chaincode" "$$ctx/chaincode/rootfs/usr/local/bin/"; \
	r="$$ctx/registry-api/rootfs"; ln "$$ctx/bin/registry-api" "$$r/usr/local/bin/"; \
	install -D -m 644 /etc/ssl/certs/ca-certificates.crt "$$r/etc/ssl/certs/ca-certificates.crt"
	$(WITH_ENGINE) sh -c 'set -e; for img in $(IMAGES); do name=$${img%%:*}; \
	  echo "docker build $(IMAGE_PREFIX)/$$img"; \
	  docker build $(DOCKER_BUILD_FLAGS) -f network/docker/images/$$name.Dockerfile -t $(IMAGE_PREFIX)/$$img $(IMAGES_DIR)/$$name; done; \
	  docker images --filter reference="$(IMAGE_PREFIX)/*"'

## test-images: `make images`, then the images' smoke test (tag docker), with
## one Docker engine for both
test-images:
	$(WITH_ENGINE) sh -c '$(MAKE) --no-print-directory images && $(GO) test -count=1 -tags docker ./internal/dockertest/ ./network/docker/images/'
