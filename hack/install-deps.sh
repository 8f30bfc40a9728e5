#!/usr/bin/env bash
# Install what the tests and the demo need on a fresh machine of this kind, skipping what is
# present: Debian packages for the real databases, promtool, bubblewrap (private mount
# namespaces for the process kubelet) and zstd; then the Python virtualenv from constraints.txt.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
log() { printf '[install-deps] %s\n' "$*" >&2; }

need=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v mariadb-install-db >/dev/null 2>&1 || need+=(mariadb-server mariadb-client)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/bin/time ] || need+=(time)  # GNU time: a child's own peak RSS in memory tests
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
    log "missing Debian packages: ${need[*]}; install them (apt-get install ${need[*]}) and retry"; exit 1
  fi
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  log "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # policy-rc.d keeps the packages from starting system services: tests start their own.
  [ -e /usr/sbin/policy-rc.d ] || { printf "#!/bin/sh\nexit 101\n" | $sudo tee /usr/sbin/policy-rc.d >/dev/null; $sudo chmod +x /usr/sbin/policy-rc.d; }
  $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

venv="$root/.venv"
stamp="$venv/.installed-$(cat "$root/constraints.txt" "$root/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  log "creating the Python virtualenv in .venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q -c "$root/constraints.txt" -e "$root[dev]"
  rm -f "$venv"/.installed-*; touch "$stamp"
fi
