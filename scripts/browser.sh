#!/usr/bin/env bash
# Makes sure a headless browser is there for the classroom page's tests (tests/test_viz.py):
# Debian's chromium, installed with apt when it is missing and we are root (as in CI). Playwright
# drives it by its path; `playwright install` is never used (it downloads browsers of its own).
# Where chromium cannot be installed, says so: those tests then skip, naming the reason.
set -uo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests (apt-get, about a minute)" >&2
  if apt-get update -qq >/dev/null 2>&1 &&
     DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    exit 0
  fi
  echo "could not install chromium: the browser tests will skip" >&2
else
  echo "no chromium, and not root to install it: the browser tests will skip" \
       "(install Debian's chromium, or set ESCSIM_CHROMIUM=/path/to/chromium)" >&2
fi
exit 0
