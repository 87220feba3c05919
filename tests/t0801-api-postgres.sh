#!/bin/sh
# The API tests (t0800) with the state in PostgreSQL (--db through KENNIS_DB): tokens and
# their scopes, sessions, watches and spaces behave the same on both engines.
KENNIS_TEST_STATE=postgres exec sh "$(dirname "$0")/t0800-api.sh"
