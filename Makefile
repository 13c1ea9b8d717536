# Anju Console: `make run` sets everything up and serves; `make test` sets up and runs the suite.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
FLASK   = $(VENV)/bin/flask --app run
PORT   ?= 5000
HOST   ?= 127.0.0.1
STAMP   = $(VENV)/.installed
# The benchmark's peer (Django admin, bench/django_peer/) lives in a virtualenv of its own.
BENCH_VENV  ?= .venv-bench
BENCH_STAMP  = $(BENCH_VENV)/.installed

.PHONY: run test bench bench-venv setup venv catalogs db seed serve clean extract-messages

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

catalogs: venv
	$(VENV)/bin/pybabel compile -f -d translations >/dev/null

db: catalogs
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) roles sync >/dev/null

seed: db
	$(FLASK) seed reference
	$(FLASK) seed demo
	$(FLASK) stats refresh >/dev/null

setup: seed

run: setup
	$(FLASK) run --host $(HOST) --port $(PORT)

# The suite builds its own databases (SQLite in memory, or TEST_DATABASE_URL).
test: catalogs
	$(PY) -m pytest -q

$(BENCH_STAMP): bench/requirements-bench.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet -r bench/requirements-bench.txt
	touch $(BENCH_STAMP)

bench-venv: $(BENCH_STAMP)

bench: catalogs $(BENCH_STAMP)
	$(PY) bench/run.py

extract-messages: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(PY) scripts/po_fill.py

clean:
	rm -rf $(VENV) instance/anju.db
