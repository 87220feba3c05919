#!/bin/sh
# PostgreSQL: the suite's own server (initdb in a temporary directory, 127.0.0.1, as an
# unprivileged user), and the SQL layer's unit tests run against it as well as SQLite.
. "$(dirname "$0")/lib.sh"
start_postgres; rc=$?
ok 'a PostgreSQL server of our own starts' test $rc -eq 0
ok 'it answers on 127.0.0.1' sh -c '"$1/psql" "$2" -Atc "select 1" | grep -qx 1' _ "${PG_BIN:-}" "$PG_URL"
KENNIS_TEST_PG="$PG_URL" "$TOP/build/test_db" >"$T/test_db.out" 2>&1
ok 'db unit tests ran against PostgreSQL' grep -q '^ok .* postgresql: a killed connection is re-opened' "$T/test_db.out"
ok 'db unit tests pass against both engines' sh -c 'grep "^not ok" -A3 "$1"; ! grep -q "^not ok" "$1"' _ "$T/test_db.out"
KENNIS_TEST_PG="$PG_URL" "$TOP/build/test_spaces" >"$T/test_spaces.out" 2>&1
ok 'spaces unit tests ran against PostgreSQL' grep -q '^ok .* postgresql: remove a space' "$T/test_spaces.out"
ok 'spaces unit tests pass against both engines' sh -c 'grep "^not ok" -A3 "$1"; ! grep -q "^not ok" "$1"' _ "$T/test_spaces.out"
for u in outbox watches; do
	KENNIS_TEST_PG="$PG_URL" "$TOP/build/test_$u" >"$T/test_$u.out" 2>&1
	ok "$u unit tests ran against PostgreSQL" grep -q '^ok .* postgresql: ' "$T/test_$u.out"
	ok "$u unit tests pass against both engines" sh -c 'grep "^not ok" -A3 "$1"; ! grep -q "^not ok" "$1"' _ "$T/test_$u.out"
done
done_testing
