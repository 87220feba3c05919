#!/bin/sh
# A person in headless Chromium: front page, follow a link, edit through the form, see it.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_deps
start_server
node "$B/browser.mjs" "$URL"
rc=$?
_failed=$rc
exit $rc
