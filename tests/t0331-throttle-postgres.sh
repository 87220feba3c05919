#!/bin/sh
# The login throttle tests (t0330) with the state in PostgreSQL: the counters behave the
# same on both engines.
KENNIS_TEST_STATE=postgres exec sh "$(dirname "$0")/t0330-throttle.sh"
