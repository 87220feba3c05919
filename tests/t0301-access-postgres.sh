#!/bin/sh
# The accounts and permissions tests (t0300) with the state in PostgreSQL (--db through
# KENNIS_DB): sessions, tokens, throttling and roles behave the same on both engines.
KENNIS_TEST_STATE=postgres exec sh "$(dirname "$0")/t0300-access.sh"
