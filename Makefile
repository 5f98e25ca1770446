# makeready — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SAMPLE ?= src/makeready/data/samples/20mm-xyz-cube.stl

.PHONY: venv peers run test lint fuzz soak bench bench-scale viewer-vendor clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The main job on the embedded defaults: the REST service (SQLite + blobs under the data directory,
# embedded job runner). The first start creates the user $(USER_NAME) and prints its password.
USER_NAME ?= admin
run: $(STAMP)
	$(VENV)/bin/makeready info $(SAMPLE)
	MAKEREADY_BOOTSTRAP_USER=$${MAKEREADY_BOOTSTRAP_USER:-$(USER_NAME)} $(VENV)/bin/makeready serve

# Test peers in their own virtual environment, never makeready's dependencies: OctoPrint (AGPL)
# with its virtual printer, for the printer and print-job tests.
OCTOPRINT := .peers/octoprint/bin/octoprint
peers: $(OCTOPRINT)

$(OCTOPRINT):
	$(PYTHON) -m venv .peers/octoprint
	.peers/octoprint/bin/pip install --quiet octoprint

# worksteal: xdist's default hands each worker a fixed first share of the collection, and the
# service tests come first, so one worker ran them all while the other sat idle for 4.5 minutes;
# a worker that runs out takes tests from the other's queue.
test: $(STAMP) $(OCTOPRINT)
	$(PY) -m pytest -n 2 --dist worksteal -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# Long fuzzing (not part of `make test`): coverage-guided (atheris, Apache-2.0, installed for this
# target only) over every reader and the upload endpoint, 1,000,000 inputs in all -> benchmarks/results/fuzz.md;
# then the property-based readers' fuzz and the API's schema fuzz at high example counts.
FUZZ_TOTAL ?= 1000000
fuzz: $(STAMP)
	$(PY) -m pip install --quiet atheris
	$(PY) benchmarks/fuzz.py --total $(FUZZ_TOTAL)
	MAKEREADY_FUZZ_EXAMPLES=20000 $(PY) -m pytest -q tests/test_fuzz_readers.py
	MAKEREADY_SCHEMATHESIS_EXAMPLES=1000 $(PY) -m pytest -q tests/service/test_schemathesis.py

# Soak (not part of `make test`): the scaled deployment's load test at full size, 200 uploads
# from 20 clients (make test runs it with 40), results in build/test-results/scaled_load.json.
SOAK_UPLOADS ?= 200
soak: $(STAMP)
	MAKEREADY_LOAD_UPLOADS=$(SOAK_UPLOADS) $(PY) -m pytest -q tests/service/test_scaled_load.py

# Side-by-side benchmarks against peers; results land in benchmarks/results/.
# Peers (admesh, CuraEngine and PrusaSlicer from Debian, pymeshfix from PyPI, AGPL; Tweaker-3 cloned, GPL; rtree for trimesh's max_sphere thickness;
# matplotlib for the quote plot) are installed for the benchmark only.
bench: $(STAMP)
	$(PY) -m pip install --quiet pymeshfix rtree matplotlib
	command -v admesh >/dev/null || (apt-get install -y admesh >/dev/null 2>&1 || echo "admesh not installed: its rows will fail")
	command -v CuraEngine >/dev/null || (apt-get install -y cura-engine >/dev/null 2>&1 || echo "CuraEngine not installed: its columns stay empty")
	command -v prusa-slicer >/dev/null || (apt-get install -y prusa-slicer >/dev/null 2>&1 || echo "PrusaSlicer not installed: its columns stay empty")
	$(PY) benchmarks/run.py
	cd benchmarks && ../$(PY) analysis.py
	cd benchmarks && ../$(PY) thickness.py
	cd benchmarks && ../$(PY) orientation.py
	test -f benchmarks/work/Tweaker-3/Tweaker.py || git clone --quiet --depth 1 https://github.com/ChristophSchranz/Tweaker-3 benchmarks/work/Tweaker-3 || echo "Tweaker-3 not cloned (set MAKEREADY_TWEAKER3): its columns stay empty"
	cd benchmarks && ../$(PY) tweaker.py
	cd benchmarks && ../$(PY) costing.py
	cd benchmarks && ../$(PY) quotes.py
	cd benchmarks && ../$(PY) slicing.py
	cd benchmarks && ../$(PY) service.py
	cd benchmarks && ../$(PY) jobs.py
	cd benchmarks && ../$(PY) scale.py

# A batch of 100 parts: embedded mode, 1 and 2 Celery workers (needs Redis and PostgreSQL on 127.0.0.1).
bench-scale: $(STAMP)
	cd benchmarks && ../$(PY) scale.py

# Rebuild the web viewer's vendored front-end libraries (three.js) from the npm registry with
# the versions pinned in web/package-lock.json. Only needed to upgrade them: the bundle is
# committed under src/makeready/viewer/vendor, so running and testing need no Node.
viewer-vendor:
	cd web && npm ci --no-audit --no-fund && npm run build

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist
