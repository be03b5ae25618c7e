# The shop's two commands are `make run` and `make test`; both install what is missing
# first. Everything else here is a step of theirs, or `make bench` / `make loadtest`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SYSTEM ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(VENV)/lib/python3.11/site-packages
TOOLS := .tools/bin
BUF := $(TOOLS)/buf
PYTEST_ARGS ?=

.PHONY: help deps system-packages venv tools protos check-protos lint-protos run test bench loadtest \
	compose-up compose-down k8s-tools k8s-up k8s-shop k8s-down clean

help:
	@echo "make run       install what is missing, start the shop (Ctrl-C stops it)"
	@echo "make test      install what is missing, run every test"
	@echo "make bench     benchmarks (ghz, wrk, locust), printed as tables"
	@echo "make loadtest  locust against the local shop, started for the run if it is not up:"
	@echo "               LOADTEST_USERS (20), LOADTEST_SECONDS (60); reports in test-artifacts/loadtest/"
	@echo "make compose-up    the shop in containers, in the project's own Docker engine (docs/containers.md)"
	@echo "make compose-down  stop those containers (volumes kept) and the engine"
	@echo "make k8s-up        a local single-node Kubernetes built from source (devstack/kube.py; root)"
	@echo "make k8s-shop      the shop on it (deploy/k8s-local), images from the private engine"
	@echo "make k8s-down      stop it and clean up after it"
	@echo "make protos    regenerate genproto/ from protos/"

deps: system-packages venv tools

system-packages:
	@scripts/install-system-packages.sh

# The virtual environment is rebuilt when the locked requirements change. The .pth file
# puts the repository and the generated code on its path.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements.lock
	@test -x $(PY) || $(PYTHON_SYSTEM) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	@printf '%s\n%s\n' "$(CURDIR)" "$(CURDIR)/genproto" > $(SITE)/shop-project.pth
	@touch $@
	@echo "python environment ready in $(VENV)"

tools:
	@scripts/install-tools.sh

protos: venv
	@scripts/gen-protos.sh

lint-protos: venv tools
	@PYTHON=$(PY) scripts/gen-protos.sh >/dev/null  # copies google/api and google/type for buf
	@cd protos && ../$(BUF) lint && ../$(BUF) build
	@echo "buf lint: clean"

# CI fails when genproto/ is not what `make protos` makes from protos/.
check-protos: lint-protos
	@tmp=$$(mktemp -d) && OUT=$$tmp/genproto scripts/gen-protos.sh >/dev/null && \
	  if diff -r -q genproto $$tmp/genproto; then echo "genproto/ is up to date"; rm -rf $$tmp; \
	  else rm -rf $$tmp; echo "genproto/ is stale: run 'make protos' and commit it" >&2; exit 1; fi

run: deps
	@$(PY) -m devstack run

test: deps k8s-tools check-protos
	@$(PY) -m pytest $(PYTEST_ARGS)

bench: deps
	@$(PY) -m bench

# Both locust mixes (tests/load) against `make run`'s stack on its ports; when nothing
# answers there, the stack is started for the run and stopped afterwards.
loadtest: deps
	@$(PY) -m tests.load

# The shop in containers for people without a Docker of their own: a private dockerd
# (.stack/docker), stand-ins for the third-party images, then `docker compose up --wait`.
compose-up: deps
	@$(PY) -m devstack.containers up

compose-down: venv
	@$(PY) -m devstack.containers down

# A local Kubernetes cluster: its binaries (scripts/install-tools.sh kubernetes, about 15
# minutes with CoreDNS the first time, seconds with Go's build cache warm) are built for
# these targets and for `make test` (tests/kube), not by `make deps`/`make run`.
k8s-tools:
	@scripts/install-tools.sh kubernetes

k8s-up: venv k8s-tools
	@$(PY) -m devstack.kube up
	@$(PY) -m devstack.kube env

# The shop on it: images built in the private engine, loaded, deploy/k8s-local applied.
k8s-shop: venv
	@$(PY) -m devstack.kubeshop up

k8s-down: venv
	@$(PY) -m devstack.kube down

clean:
	rm -rf .stack bench-results test-artifacts
