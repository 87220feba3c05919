#!/bin/sh
# The notification tests (t0700) with the state in PostgreSQL: watches, the fan-out's cursor
# and notices, the outbox and its leases, digests and unsubscribe links on the other engine.
KENNIS_TEST_STATE=postgres exec sh "$(dirname "$0")/t0700-notify.sh"
