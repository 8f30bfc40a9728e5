# Strongroom developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

.PHONY: deps
deps: ## Install Debian packages and the Python virtualenv (skips what is present)
	@bash hack/install-deps.sh

.PHONY: tools
tools: ## Build etcd, kube-apiserver, kube-controller-manager, kubectl and helm (cached in ~/.cache/strongroom)
	@bash hack/build-tools.sh

.PHONY: lint
lint: deps ## ruff (lint + format check), mypy --strict, import-linter layer contracts
	ruff check operator tests hack
	ruff format --check operator tests hack
	mypy
	lint-imports

.PHONY: test
test: deps tools lint ## Everything CI runs: lint, then unit, integration and e2e tests against real parts
	$(PY) -m pytest -m "not bench" -p no:cacheprovider

.PHONY: test-unit
test-unit: deps ## Unit tests only (pure logic, 2 s each)
	$(PY) -m pytest -m unit

.PHONY: test-integration
test-integration: deps tools ## Integration tests (real API server, databases, S3)
	$(PY) -m pytest -m integration

.PHONY: e2e
e2e: deps tools ## End-to-end user stories
	$(PY) -m pytest -m e2e

.PHONY: bench
bench: deps tools ## Benchmarks; figures are written to docs/benchmarks.md
	$(PY) -m pytest -m bench -p no:cacheprovider -s tests/bench

.PHONY: demo
demo: deps tools ## Bring up the whole thing locally and show a first backup and verification
	$(PY) -m tests.support.demo

.PHONY: fmt
fmt: deps ## Format and auto-fix
	ruff format operator tests hack
	ruff check --fix operator tests hack

.PHONY: crds
crds: ## Generate crds/*.yaml from the API models (strongroom.api); a unit test keeps them in sync
	$(PY) -m strongroom.api.crdgen crds/

.PHONY: chart-crds
chart-crds: ## Copy crds/ into the chart (charts/strongroom/files/crds); a test keeps them identical
	rm -f charts/strongroom/files/crds/*.yaml
	mkdir -p charts/strongroom/files/crds
	cp crds/*.yaml charts/strongroom/files/crds/

.PHONY: chart-docs
chart-docs: ## Regenerate the values table of charts/strongroom/README.md from values.yaml comments
	$(PY) hack/chart_docs.py

.PHONY: chart-lint
chart-lint: tools ## helm lint --strict the chart (with every optional part on, too)
	@helm=$$(bash hack/build-tools.sh | tail -1 | sed 's/^bin: //')/helm; \
	$$helm lint --strict charts/strongroom && \
	$$helm lint --strict charts/strongroom --set prometheusRule.enabled=true,serviceMonitor.enabled=true,grafanaDashboard.enabled=true,networkPolicy.enabled=true,ha.enabled=true

.PHONY: promtool-test
promtool-test: ## promtool check + unit-test every alert (charts/strongroom/prometheus_rules, tests/rules)
	promtool check rules charts/strongroom/prometheus_rules/*.yaml
	cd charts/strongroom/tests/rules && promtool test rules *.test.yaml

.PHONY: e2e-kind
e2e-kind: deps ## On a machine with Docker: build the image, kind cluster, helm install, run the e2e suite on it
	@bash hack/e2e-kind.sh
