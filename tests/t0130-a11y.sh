#!/bin/sh
# Accessibility: axe-core in headless Chromium on the main page types (light, dark, phone):
# no serious or critical violation.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_test a11y.mjs
