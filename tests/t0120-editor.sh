#!/bin/sh
# The editor in headless Chromium: unsaved-changes warning, Ctrl+S, toolbar, pasted and
# dropped files become attachments, [[ suggestions, the conflict screen.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_deps
start_server
fixture_pages && fixture_accounts || { echo "Bail out! could not set up the fixture"; exit 1; }
run_node "$B/editor.mjs" "$URL"
