#!/usr/bin/env bash
# Regenerates docs/screenshots/*.png: runs the headless-browser test of the web command center
# (crates/server/tests/browser.rs) with SWITCHYARD_SCREENSHOTS pointing at docs/screenshots.
# Needs Debian's chromium and chromedriver: apt-get install -y chromium chromium-driver
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromedriver >/dev/null; then
    echo "chromedriver is missing: apt-get install -y chromium chromium-driver" >&2
    exit 1
fi
mkdir -p docs/screenshots
SWITCHYARD_SCREENSHOTS="$PWD/docs/screenshots" \
    cargo test -p switchyard-server --test browser -- --nocapture
ls -l docs/screenshots
