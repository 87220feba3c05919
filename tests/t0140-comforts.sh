#!/bin/sh
# Page comforts in headless Chromium: contents (sidebar at 1280 px, folded at 390 px),
# heading anchors, coloured code (light and dark), no sideways scrolling. Screenshots:
# tests/out/comforts/.
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/browser/fixture.sh"
browser_test comforts.mjs
