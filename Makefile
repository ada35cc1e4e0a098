# Tingjian: `make run` and `make test` work on a fresh machine with nothing installed by hand.
SHELL := /bin/bash
.DEFAULT_GOAL := run
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# A Python >= 3.12: on PATH first, then pyenv's and uv's installs (not on PATH here).
PYTHON ?= $(shell for c in python3.14 python3.13 python3.12 python3 \
	$$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3 \
	$$HOME/.local/share/uv/python/cpython-3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9]; do \
	  p=$$(command -v $$c 2>/dev/null) || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; \
	done)

.PHONY: run test test-browser lint typecheck messages fonts venv migrate demo clean serve

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Tingjian needs Python 3.12 or newer and none was found."; \
	  echo "Install one, e.g. 'apt-get install python3.12 python3.12-venv' or 'pyenv install 3.12',"; \
	  echo "or point at it: make PYTHON=/path/to/python3.12 run"; exit 1; fi
	@echo "Creating $(VENV) with $(PYTHON)"
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# Compiles the translations (needs msgfmt from GNU gettext). Without msgfmt the committed .mo
# catalogues are used as they are, so a machine without gettext can still run and test.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then \
	  cd tingjian && ../$(BIN)/tingjian compilemessages --ignore=.venv -v 0; \
	elif ls tingjian/locale/*/LC_MESSAGES/django.mo >/dev/null 2>&1; then \
	  echo "note: msgfmt not found; using the committed translation catalogues (.mo)."; \
	  echo "      To recompile them install gettext: apt-get install gettext | brew install gettext"; \
	else \
	  echo "msgfmt (GNU gettext) is needed to compile the translations and was not found."; \
	  echo "Install it: apt-get install gettext (Debian/Ubuntu), brew install gettext (macOS)"; \
	  exit 1; \
	fi

# The service reports' PDFs need a Chinese font (WeasyPrint uses the system's fonts). Installs
# Debian's fonts-noto-cjk when it is missing and we may (root, apt-get); otherwise says how.
fonts:
	@if command -v fc-list >/dev/null 2>&1 && [ -n "$$(fc-list :lang=zh family 2>/dev/null)" ]; then :; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" -eq 0 ]; then \
	  echo "Installing fonts-noto-cjk (Chinese text in PDF reports)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null \
	    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }; \
	else \
	  echo "note: no Chinese font found; PDF reports will show boxes for Chinese text."; \
	  echo "      Install one: sudo apt-get install fonts-noto-cjk | brew install --cask font-noto-sans-cjk"; \
	fi

migrate: messages fonts
	$(BIN)/tingjian migrate --no-input -v 0

demo: migrate
	$(BIN)/tingjian demo

# Serves http://127.0.0.1:8000 and runs the task worker; Ctrl-C (or killing make) stops both.
# If either process ends, the other is stopped too. `kill 0` reaches the whole process group,
# runserver's autoreload child included; the trap clears itself first, or the TERM it sends
# would re-enter it.
run: demo
	@$(BIN)/tingjian collectstatic --no-input -v 0
	@echo "Tingjian is at http://127.0.0.1:8000  (demo logins are printed above; Ctrl-C stops)"
	@trap 'trap - INT TERM EXIT; kill 0 2>/dev/null' INT TERM EXIT; \
	  $(BIN)/tingjian worker & \
	  $(BIN)/tingjian runserver 127.0.0.1:8000 & \
	  wait -n

test: messages fonts
	$(BIN)/python -m pytest -q

# pytest exits 5 when it collects nothing: that is a warning here, not a failure.
test-browser: messages
	@status=0; $(BIN)/python -m pytest -q -m browser || status=$$?; \
	if [ $$status -eq 5 ]; then echo "WARNING: no browser test was collected (pytest -m browser)"; exit 0; fi; \
	exit $$status

lint: $(STAMP)
	$(BIN)/ruff check tingjian
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy tingjian

clean:
	rm -rf $(VENV) staticfiles
