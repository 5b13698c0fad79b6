# Thin aliases; the README's two commands are `make app` and `make test`.
PY ?= python3
PIP_FLAGS ?= -q --disable-pip-version-check

.PHONY: install app reports test browser bench lint format

install:
	$(PY) -m pip install $(PIP_FLAGS) -e ".[dev]"

app: install
	$(PY) -m crmlib.cli app

reports: install
	$(PY) -m crmlib.cli report all

# Browser tests drive Debian's Chromium; install it when missing and we are root.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing: sudo apt-get install chromium (browser tests will fail)"; fi; }

test: install browser
	$(PY) -m pytest

bench: install
	$(PY) bench/read_clean.py
	$(PY) bench/app_load.py --viewers 20

lint:
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format:
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .
