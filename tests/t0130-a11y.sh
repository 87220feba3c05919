#!/bin/sh
# Accessibility: axe-core in headless Chromium on the main page types (light, dark, phone):
# no serious or critical violation.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_deps
start_server
fixture_pages && fixture_accounts || { echo "Bail out! could not set up the fixture"; exit 1; }
run_node "$B/a11y.mjs" "$URL" "$(git -C "$T/fx" rev-parse HEAD~1)"
