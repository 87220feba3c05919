# nodes.sh: several kennis nodes of one wiki for the t09NN tests (sourced after lib.sh): a
# PostgreSQL of the test's own holds the shared state; each node NAME has its data
# directory $T/NAME, its log $T/NAME.log, and, while it runs, $URL_NAME and $PID_NAME.
NODES=

# start_node NAME [serve options...]: serve $T/NAME (a replica's directory is made by
# serve --replica-of itself); waits until it listens.
start_node() {
	local name=$1 i=0 url; shift
	: >"$T/$name.stdout"
	"$KENNIS" serve --data "$T/$name" --listen 127.0.0.1:0 --db "$PG_URL" --threads 2 "$@" \
		>"$T/$name.stdout" 2>>"$T/$name.log" &
	eval "PID_$name=$!"
	case " $NODES " in *" $name "*) ;; *) NODES="$NODES $name" ;; esac
	while [ $i -lt 1200 ]; do
		url=$(sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$T/$name.stdout" 2>/dev/null)
		if [ -n "$url" ]; then eval "URL_$name=$url"; return 0; fi
		kill -0 "$(eval echo \$PID_$name)" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	echo "# node $name did not start:"; tail -n 20 "$T/$name.log" | sed 's/^/#   /'
	return 1
}

# stop_node NAME: SIGTERM, and its exit status (0 is a clean shutdown).
stop_node() {
	local pid rc
	pid=$(eval echo "\${PID_$1:-}")
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null
	( sleep 20; kill -9 "$pid" 2>/dev/null ) >/dev/null 2>&1 & dog=$!
	wait "$pid"; rc=$?
	kill "$dog" 2>/dev/null
	eval "PID_$1="
	return $rc
}

# kill_node NAME: SIGKILL, the machine is gone.
kill_node() {
	local pid
	pid=$(eval echo "\${PID_$1:-}")
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	eval "PID_$1="
}

stop_nodes() { for n in $NODES; do stop_node "$n"; done; }

# nodes_done: every node still running stops cleanly, and no log has a sanitizer report.
nodes_done() {
	for n in $NODES; do
		if [ -n "$(eval echo "\${PID_$n:-}")" ]; then
			stop_node "$n"; rc=$?
			ok "node $n exits 0 on SIGTERM (got $rc)" test "$rc" -eq 0
		fi
	done
	ok 'no sanitizer report in the nodes logs' sh -c '! cat "$@" | grep -E "ERROR: (Address|Leak)Sanitizer|runtime error:"' _ $(for n in $NODES; do echo "$T/$n.log"; done)
}

# url NAME: the node's address; nget NAME PATH: a page from it
url() { eval echo "\$URL_$1"; }
nget() { curl -s --max-time 20 "$(url "$1")$2"; }
# nsave NAME PAGE CONTENT [curl options]: save PAGE on node NAME from its edit form; the status
nsave() {
	local n=$1 p=$2 content=$3 b; shift 3
	b=$(curl -s --max-time 20 "$@" "$(url "$n")/edit/$p" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
	curl -s -o "$T/nsave.out" --max-time 30 -w '%{http_code}' "$@" "$(url "$n")/edit/$p" \
		--data-urlencode "base=$b" --data-urlencode "content=$content" \
		--data-urlencode "message=edit $p" --data-urlencode "author=Tester"
}

start_postgres || { echo "Bail out! the node tests need PostgreSQL (tools/deps.sh installs it)"; exit 1; }
trap 'stop_nodes; cleanup' EXIT
