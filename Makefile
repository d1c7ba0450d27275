# Developer entry points. `make test` is what CI (.ci/run) runs.
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: install deps test test-all lint

install:
	$(PIP) install -q torch==2.13.0 -e '.[test]'

deps: install
	scripts/install-system-deps.sh
	cd web && npm ci --no-audit --no-fund && npm run build

lint:
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

# -n auto: one pytest-xdist worker a CPU (tests share no files, ports or devices); the tests
# that stream at real-time pace run afterwards on their own, so other tests cannot make them late
test: deps lint
	$(PYTHON) -m pytest -q -m "not slow and not realtime" -n auto
	$(PYTHON) -m pytest -q -m "realtime and not slow"

test-all: deps
	$(PYTHON) -m pytest -q -m "not realtime" -n auto
	$(PYTHON) -m pytest -q -m realtime
