#!/bin/sh
# deps.sh: make sure the Debian packages kennis builds, runs and tests with are installed.
# As root it installs what is missing; otherwise it prints the one command to run.
PKGS="build-essential pkg-config git libgit2-dev libcmark-gfm-dev libcmark-gfm-extensions-dev
libmicrohttpd-dev libsqlite3-dev libsodium-dev libyaml-dev libpq-dev libcurl4-openssl-dev libjansson-dev curl perl"
# Test-only tools: the browser test, the benchmarks, PostgreSQL (tests start their own
# server in a temporary directory; the package's own cluster is never used), the Atom feed
# check (XML::Parser), a JSON Schema validator for the API's answers against its OpenAPI
# description (t0800), the sqlite3 shell (tests look into index.db), and clang with its
# libFuzzer runtime (libclang_rt.fuzzer-x86_64.a, only recommended by clang) for make fuzz.
[ "${KENNIS_DEPS:-test}" = "test" ] && PKGS="$PKGS chromium wrk hyperfine valgrind postgresql libxml-parser-perl python3-jsonschema jq sqlite3 clang libclang-rt-14-dev"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
done
# node/npm may come from Debian or from NodeSource's nodejs (which bundles npm): ask for the
# Debian packages only when there is no npm at all.
[ "${KENNIS_DEPS:-test}" = "test" ] && ! command -v npm >/dev/null 2>&1 && missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q $missing >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; } ||
		{ echo "deps: apt-get install failed for:$missing" >&2; exit 1; }
else
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
