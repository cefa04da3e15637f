# The two commands of the README: `make run` and `make test`. Each installs everything
# it needs by itself on a fresh machine (a virtualenv in .venv from requirements.lock).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test bench lock clean

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

# The server with the example flows, on the embedded SQLite database (data/).
run: install
	$(VENV)/bin/flowstudio serve --flows flows

test: install
	$(VENV)/bin/pytest -q

bench: install
	$(PY) benchmarks/run.py

# Re-pin the whole dependency tree after changing pyproject.toml.
lock:
	rm -rf .lockenv && python3 -m venv .lockenv
	.lockenv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	.lockenv/bin/pip freeze --exclude-editable --exclude flowstudio > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache
