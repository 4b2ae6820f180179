# The two commands of README: `make run` (install everything, start the app on the embedded profile)
# and `make test` (install what the tests need, then lint, check the layers and run the whole suite).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Shared libraries open3d needs on Debian.
APT_RUNTIME := libusb-1.0-0 libgl1 libegl1 libgomp1
# Tools the tests drive: chromium for the browser tests (Playwright drives Debian's build), librecad, hp2xx.
APT_TEST := librecad hp2xx chromium

.PHONY: run test install install-test lint lock clean

run: install
	$(BIN)/cspms db upgrade
	$(BIN)/cspms serve

test: install-test lint
	$(BIN)/pytest

lint:
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy geometry lasts configurator manufacturing web benchmarks

install: $(BIN)/.installed
install-test: $(BIN)/.installed-test

# Installs the Debian packages in $(1) that are missing (as root), or says which to install.
define apt_ensure
	@missing=""; for pkg in $(1); do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "apt-get install$$missing"; apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please run as root: apt-get install$$missing"; exit 1; fi; \
	fi
endef

# The pages' three.js: installed from npm (web/package-lock.json) and copied into web/static/vendor.
define web_assets
	@command -v npm >/dev/null || { echo "npm is missing: apt-get install nodejs npm"; exit 1; }
	npm ci --prefix web --no-audit --no-fund --silent
	npm run --prefix web --silent build
endef

$(BIN)/python:
	$(call apt_ensure,python3-venv python3-pip)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BIN)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(call apt_ensure,$(APT_RUNTIME))
	$(BIN)/pip install -q -c constraints.txt -e .
	$(call web_assets)
	touch $@

$(BIN)/.installed-test: $(BIN)/.installed
	$(call apt_ensure,$(APT_TEST))
	$(BIN)/pip install -q -c constraints.txt -e ".[test,notebook]"
	$(call web_assets)
	touch $@

# Re-pin constraints.txt to what the virtualenv has now (after changing pyproject's dependencies).
lock:
	$(BIN)/pip install -q -e ".[test,notebook]"
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) var out
