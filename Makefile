# The two commands of the README: `make run` and `make test`. Each installs everything
# it needs by itself on a fresh machine (a virtualenv in .venv from requirements.lock).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

NPM_STAMP := frontend/node_modules/.installed-stamp
EDITOR := flowstudio/web/static/index.html
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)
# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test bench lock clean frontend chromium

$(STAMP): pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(NPM_STAMP): frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $(NPM_STAMP)

# The browser editor, built into the Python package's static files (not committed).
$(EDITOR): $(NPM_STAMP) $(FRONTEND_SRC)
	cd frontend && npm run --silent build

frontend: $(EDITOR)

install: $(STAMP) $(EDITOR)

$(CHROMIUM):
	$(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

chromium: $(CHROMIUM)

# The server with the example flows, on the embedded SQLite database (data/).
run: install
	$(VENV)/bin/flowstudio serve --flows flows

test: install chromium
	cd frontend && npm test --silent
	$(VENV)/bin/pytest -q

# make bench ARGS="-k editor" runs only the rows (or modules) whose name contains "editor".
bench: install chromium
	$(PY) benchmarks/run.py $(ARGS)

# Re-pin the whole dependency tree after changing pyproject.toml.
lock:
	rm -rf .lockenv && python3 -m venv .lockenv
	.lockenv/bin/pip install --quiet --disable-pip-version-check -e '.[test]'
	.lockenv/bin/pip freeze --exclude-editable --exclude flowstudio > requirements.lock
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache frontend/node_modules flowstudio/web/static
