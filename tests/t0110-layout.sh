#!/bin/sh
# Layout in headless Chromium, every page type at 390 and 1280 px: no horizontal scrolling,
# 44 px tap targets on the phone, the header menu (with and without JavaScript), dark mode,
# print. Screenshots: tests/out/layout/.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_test layout.mjs
