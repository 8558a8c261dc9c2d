#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv with a Python >= 3.12,
# found by itself: $PYTHON, then python3.13/python3.12/python3 on PATH, then pyenv's versions
# (even when pyenv is not on PATH), then uv-managed interpreters. Prints the venv's python.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/.venv"
need_major=3 need_minor=12

ok() {  # ok PYTHON -> true when it runs and is >= 3.12
  [ -x "$1" ] || command -v "$1" >/dev/null 2>&1 || return 1
  "$1" -c "import sys, venv; sys.exit(sys.version_info < ($need_major, $need_minor))" 2>/dev/null
}

find_python() {
  local c
  if [ -n "${PYTHON:-}" ]; then
    ok "$PYTHON" && { echo "$PYTHON"; return; }
    echo "PYTHON=$PYTHON is not a Python >= $need_major.$need_minor" >&2; return 1
  fi
  for c in python3.14 python3.13 python3.12 python3; do
    ok "$c" && { command -v "$c"; return; }
  done
  local roots=()
  command -v pyenv >/dev/null 2>&1 && roots+=("$(pyenv root)")
  roots+=("${PYENV_ROOT:-$HOME/.pyenv}")
  for root in "${roots[@]}"; do
    for c in $(ls -d "$root"/versions/3.* 2>/dev/null | sort -rV); do
      ok "$c/bin/python3" && { echo "$c/bin/python3"; return; }
    done
  done
  for c in $(ls -d "$HOME"/.local/share/uv/python/cpython-3.* 2>/dev/null | sort -rV); do
    ok "$c/bin/python3" && { echo "$c/bin/python3"; return; }
  done
  return 1
}

stamp="$venv/.installed-from"
want=$(cat "$here/pyproject.toml" | cksum)
if [ -x "$venv/bin/python" ] && ok "$venv/bin/python" && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv/bin/python"; exit 0
fi

if ! py=$(find_python); then
  cat >&2 <<MSG
escalation-sim needs Python >= $need_major.$need_minor and found none
(looked at \$PYTHON, python3.14/3.13/3.12/python3 on PATH, pyenv versions, uv pythons).
Install one, for example:
  pyenv install 3.12          # then re-run; pyenv need not be on PATH
  apt-get install python3.12 python3.12-venv
  uv python install 3.12
or point to one: PYTHON=/path/to/python3.12 make test
MSG
  exit 1
fi

echo "setting up $venv with $py ($("$py" -c 'import platform; print(platform.python_version())'))" >&2
rm -rf "$venv"
"$py" -m venv "$venv"
log="$venv/install.log"
if ! { "$venv/bin/python" -m pip install --upgrade pip &&
       "$venv/bin/python" -m pip install -e "$here[dev]"; } >"$log" 2>&1; then
  tail -n 30 "$log" >&2
  echo "installing the project into $venv failed; the full log is in $log" >&2
  exit 1
fi
echo "$want" > "$stamp"
echo "$venv/bin/python"
