#!/bin/sh
# A person in headless Chromium: front page, follow a link, edit through the form, see it.
. "$(dirname "$0")/lib.sh"
B="$TOP/tests/browser"
if [ ! -d "$B/node_modules/playwright-core" ]; then
	(cd "$B" && npm ci --no-audit --no-fund --silent >/dev/null 2>&1) || { echo "Bail out! npm ci failed in tests/browser"; exit 1; }
fi
start_server
node "$B/browser.mjs" "$URL"
rc=$?
_failed=$rc
exit $rc
