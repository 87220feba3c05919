#!/bin/sh
# The editor in headless Chromium: unsaved-changes warning, Ctrl+S, toolbar, pasted and
# dropped files become attachments, [[ suggestions, the conflict screen.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_test editor.mjs
