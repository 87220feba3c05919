# lib.sh: shared helpers for the end-to-end tests (sourced by tests/tNNNN-*.sh).
# Each test gets its own temporary directory, data directory and server on 127.0.0.1 with a
# port the kernel picks; output is TAP.
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
KENNIS=${KENNIS:-$TOP/kennis}
export KENNIS_BIN="$KENNIS"
T=$(mktemp -d "${TMPDIR:-/tmp}/kennis-test.XXXXXX")
DATA=$T/data
LOG=$T/server.log
URL=
SERVER_PID=
_n=0
_failed=0

# Git must not ask anyone anything, nor read the developer's config.
export GIT_TERMINAL_PROMPT=0 GIT_CONFIG_NOSYSTEM=1 HOME=$T
export GIT_AUTHOR_NAME="Test Pusher" GIT_AUTHOR_EMAIL=pusher@example.com
export GIT_COMMITTER_NAME="Test Pusher" GIT_COMMITTER_EMAIL=pusher@example.com
git config --global init.defaultBranch main
git config --global pull.rebase true

cleanup() {
	stop_server
	stop_postgres
	if [ "$_failed" -eq 0 ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap cleanup EXIT

# ok DESCRIPTION COMMAND...: one TAP line; the command's output is shown only on failure.
ok() {
	local desc=$1; shift
	_n=$((_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $_n - $desc"
	else
		_failed=$((_failed + 1))
		echo "not ok $_n - $desc"
		# on stderr too: prove shows stderr, so CI logs say why
		printf '%s\n' "$out" | tail -n 20 | sed 's/^/#   /' | tee /dev/stderr
	fi
}

# not_ok DESCRIPTION COMMAND...: passes when the command fails. It runs in this shell (not
# a new sh), so shell functions work, and "command not found" is never a pass.
not_ok() {
	local desc=$1; shift
	ok "$desc" _fails "$@"
}
_fails() {
	"$@"
	rc=$?
	[ $rc -eq 127 ] && { echo "not found: $1"; return 1; }
	[ $rc -ne 0 ]
}

done_testing() {
	# A clean shutdown, and no sanitizer report in the server's log (make SAN=... test).
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID"
		( sleep 15; kill -9 "$SERVER_PID" 2>/dev/null ) >/dev/null 2>&1 & dog=$!
		wait "$SERVER_PID"; rc=$?
		kill "$dog" 2>/dev/null
		SERVER_PID=
		ok "server exits 0 on SIGTERM (got $rc)" test "$rc" -eq 0
		ok 'no sanitizer report in the server log' sh -c '! grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$1"' _ "$LOG"
	fi
	echo "1..$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}

# start_server [serve options...]: init a data dir (unless one exists) and serve it.
start_server() {
	[ -d "$DATA/wiki.git" ] || "$KENNIS" init "$DATA" >/dev/null || return 1
	# Empty the files first: the background job's own redirection truncates them only when
	# it gets to run, and until then the loop below could read the last server's address.
	: >"$T/stdout"
	: >"$LOG"
	"$KENNIS" serve --data "$DATA" --listen 127.0.0.1:0 "$@" >"$T/stdout" 2>"$LOG" &
	SERVER_PID=$!
	# Up to 60 s while it lives: a start with a missing index rebuilds it first (over 5 s for
	# t0200's 2000 pages in a sanitizer build on a loaded machine), and start-up may wait
	# for locks and for a killed server's git children to finish.
	local i=0
	while [ $i -lt 1200 ]; do
		URL=$(sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$T/stdout" 2>/dev/null)
		# It listens at once; a first index of a big wiki runs on after that (/healthz says).
		[ -n "$URL" ] && [ "$(curl -s --max-time 5 "$URL/healthz" 2>/dev/null)" = ok ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "# server did not start:"; sed 's/^/#   /' "$LOG"
	return 1
}

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
		SERVER_PID=
	fi
}

# Is ./kennis a sanitizer build? (Memory figures and valgrind mean nothing there.)
sanitized() { nm -D "$KENNIS" 2>/dev/null | grep -q __asan_init || ldd "$KENNIS" 2>/dev/null | grep -q libasan; }

# get PATH: the body; status PATH: the HTTP status code.
get() { curl -sS --max-time 20 "$URL$1"; }
status() { curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$@" "$URL${path:-}"; }
code() { curl -s -o /dev/null --max-time 20 -w '%{http_code}' "$URL$1"; }

# base PAGE: the base commit the edit form of PAGE carries.
base_of() { get "/edit/$1" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p'; }

# save PAGE BASE CONTENT [MESSAGE] [AUTHOR]: post the edit form; prints the HTTP status.
save() {
	curl -s -o "$T/save.out" --max-time 30 -w '%{http_code}' "$URL/edit/$1" \
		--data-urlencode "base=$2" --data-urlencode "content=$3" \
		--data-urlencode "message=${4:-test edit}" --data-urlencode "author=${5:-Web Tester}"
}

# Signed-in clients, one cookie jar each ($T/USER.jar; users made with the password
# pw-USER-secret). login USER: prints the login's status (303 when it worked).
# as USER CURL-ARGS...: a request with that user's session. save_as USER PREFIX PAGE
# CONTENT [MESSAGE]: the edit form of PREFIX/edit/PAGE posted with its base and CSRF token;
# prints the status.
login() { curl -s -o /dev/null -c "$T/$1.jar" -w '%{http_code}' "$URL/login" --data-urlencode "user=$1" --data-urlencode "password=pw-$1-secret"; }
as() { u=$1; shift; curl -s --max-time 20 -b "$T/$u.jar" -c "$T/$u.jar" "$@"; }
save_as() {
	f=$(as "$1" "$URL$2/edit/$3")
	b=$(echo "$f" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p' | head -1)
	t=$(echo "$f" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
	as "$1" -o /dev/null -w '%{http_code}' "$URL$2/edit/$3" --data-urlencode "base=$b" --data-urlencode "csrf=$t" \
		--data-urlencode "content=$4" --data-urlencode "message=${5:-test}"
}

# contains STRING COMMAND...: does the command's output contain STRING?
contains() {
	local want=$1; shift
	"$@" | grep -qF -- "$want"
}

# start_postgres: a PostgreSQL server of this test's own: initdb into a new directory, on
# 127.0.0.1 and a free port, run as the unprivileged user nobody when the tests run as root
# (PostgreSQL refuses root). Sets PG_URL; cleanup stops it and removes its files.
PG_DIR=
PG_URL=
_pg() { if [ "$(id -u)" = 0 ]; then setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; else "$@"; fi; }
start_postgres() {
	local bin port i=0
	bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$bin/initdb" ] || { echo "# no PostgreSQL server (tools/deps.sh installs the package)"; return 1; }
	PG_BIN=$bin
	PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kennis-pg.XXXXXX")
	chmod 755 "$PG_DIR"
	[ "$(id -u)" = 0 ] && chown nobody "$PG_DIR"
	_pg "$bin/initdb" -D "$PG_DIR/data" -U kennis --auth=trust -E UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ sed 's/^/#   /' "$PG_DIR/initdb.log"; return 1; }
	while [ $i -lt 10 ]; do
		port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
		if _pg "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
			-o "-c listen_addresses=127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c max_connections=200" start >/dev/null 2>&1; then
			PG_URL="postgresql://kennis@127.0.0.1:$port/postgres"
			return 0
		fi
		i=$((i + 1))
	done
	echo "# PostgreSQL did not start:"; sed 's/^/#   /' "$PG_DIR/server.log"
	return 1
}
stop_postgres() {
	[ -n "$PG_DIR" ] || return 0
	_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	rm -rf "$PG_DIR"
	PG_DIR=
}

# The state database of a test: SQLite in $DATA/kennis.db, or, when KENNIS_TEST_STATE is
# "postgres", a PostgreSQL server of the test's own (the same tests against both engines).
if [ "${KENNIS_TEST_STATE:-}" = postgres ]; then
	start_postgres || { echo "Bail out! KENNIS_TEST_STATE=postgres but PostgreSQL did not start"; exit 1; }
	export KENNIS_DB="$PG_URL"
	echo "# state database: PostgreSQL $PG_URL"
fi
# state_dump: everything the state database holds, as text or bytes (for "is it hashed?").
state_dump() {
	if [ -n "${KENNIS_DB:-}" ]; then "$PG_BIN/pg_dump" --data-only "$KENNIS_DB"; else cat "$DATA/kennis.db"; fi
}
