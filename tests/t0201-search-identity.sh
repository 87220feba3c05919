#!/bin/sh
# Search results stay the same: 56 fixed queries against a generated corpus of 1,000 pages
# (no starter pages, fixed dates: the index is a pure function of the generator) give
# exactly what is recorded in t0201-search-identity.expected: totals, names in rank order,
# highlighted titles, snippets, facets with counts, paging links.
#   RECORD=1 prove tests/t0201-search-identity.sh     rewrite the record (with care: only
#                                                   when a change of results is intended)
#   OLD=/path/to/kennis prove tests/...               also compare with another binary,
#                                                   side by side, each on its own index
. "$(dirname "$0")/lib.sh"
EXPECTED=$TOP/tests/t0201-search-identity.expected

# A wiki of generated pages only: init, drop the starter commit, one root commit of 1,000
# generated pages (gencorpus: fixed seed, fixed dates).
"$KENNIS" init "$DATA" >/dev/null
git -C "$DATA/wiki.git" update-ref -d refs/heads/main
sh "$TOP/bench/gencorpus.sh" 1000 "$DATA/wiki.git" "$T/urls.txt"
ok 'the corpus is the recorded one' test "$(git -C "$DATA/wiki.git" rev-parse 'main^{tree}')" = \
	"$(sed -n 's/^# tree //p' "$EXPECTED")"
ok 'kennis reindex' "$KENNIS" reindex --data "$DATA"

# The queries: common and rare words, phrases, prefixes, accents, filters in the text and
# as parameters, filters only, later pages, past the end, and hostile input.
QUERIES='q=Kestrel
q=kestrel
q=Gateway
q=Gateway&page=2
q=Gateway&page=3
q=%22Sync+Gateway%22
q=%22Sync+Gateway%22&page=2
q=renewal
q=escalation
q=Muller
q=M%C3%BCller
q=J%C3%BCrgen
q=S%C3%B8ren+Zo%C3%AB
q=Y%C4%B1lmaz
q=%C5%81ukasz
q=customer
q=customer&page=7
q=customer&page=500
q=Kestr*
q=pharma*
q=co*
q=a*
q=invoice+overdue
q=%22quarterly+business+review%22
q=%22Call+with%22
q=SLA
q=EUR
q=2023
q=ticket+resolved
q=%22waiting+on+customer%22
q=steering+committee
q=Noord+Logistics
q=Alpine+Foods+GmbH
q=key-account
q=tag%3Agdpr
q=tag%3AGDPR+Gateway
q=dept%3Asales
q=dept%3ALegal+tag%3Achurn-risk
q=customer%3A%22Customer+00042%22
q=customer%3A%22Customer+00042%22+Kestrel
q=department%3A%22Customer+Success%22+renewal
q=renewal&tag=enterprise
q=&dept=Finance
q=&dept=Finance&page=2
q=&tag=pilot&dept=IT
q=Gateway&tag=gdpr&dept=Sales
q=Gateway&customer=Customer+00007
q=zzzqqqnothing
q=NEAR%28
q=%22unbalanced+gateway
q=%2A
q=Gateway+AND+OR+NOT+renewal
q=title%3Akestrel
q=O%27Brien
q=Premium+Plus
q=the'

# fetch URL QUERY: what the search page shows for one query, one line per item: the
# summary, facets (value and count), each hit (name, highlighted title, customer), the
# snippets (the first three in full, all of them as a checksum), notices and paging links.
fetch() {
	echo "### $2"
	curl -sS --max-time 30 "$1/search?$2" | sed -n '/<main/,/<\/main>/p' | awk '
	function strip(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
	/class="search-summary"/ { sub(/.*id="search-summary">/, ""); sub(/<\/p>.*/, ""); print "summary " $0 }
	/id="no-results"/ { s = $0; sub(/.*id="no-results">/, "", s); print "none " strip(s) }
	/class="notice"/ { print "notice " strip($0) }
	/class="filter"/ { print "filters " strip($0) }
	/<p class="facet facet-/ { kind = $0; sub(/.*facet-/, "", kind); sub(/".*/, "", kind); facet = 1; next }
	facet { s = $0; out = ""
		while (match(s, /">[^<]*<\/a>&nbsp;<span class="count">\([0-9]+\)/)) {
			m = substr(s, RSTART + 2, RLENGTH - 2); sub(/<\/a>&nbsp;<span class="count">/, " ", m)
			out = out (out == "" ? "" : ", ") m; s = substr(s, RSTART + RLENGTH) }
		print "facet " kind ": " out; facet = 0 }
	/class="result-title"/ { s = $0; sub(/.*href="\/wiki\//, "", s); name = s; sub(/".*/, "", name)
		sub(/^[^>]*>/, "", s); sub(/<\/a> <span class="result-path">.*/, "", s); hit = "hit " name " | " s }
	/class="snippet"/ { s = strip($0); n++; all = all s "\n"; if (n <= 3) snip[n] = s }
	/class="result-meta"/ { c = ""; if ($0 ~ /<a href=/) { c = $0; sub(/^[^>]*><a [^>]*>/, "", c); sub(/<\/a>.*/, "", c) }
		print hit " | " c }
	/class="paging"/ { print "paging " strip($0) }
	END { for (i = 1; i <= 3 && i <= n; i++) print "snippet " snip[i]
		if (n) { cmd = "cksum"; printf "%s", all | cmd; close(cmd) } }' | sed 's/^\([0-9]* [0-9]*\)$/snippets \1/'
}

record() {
	echo "# t0201: search results of the generated corpus (bench/gencorpus.sh 1000, no starter)"
	echo "# tree $(git -C "$DATA/wiki.git" rev-parse 'main^{tree}')"
	echo "$QUERIES" | while read -r q; do fetch "$1" "$q"; done
}

start_server
record "$URL" >"$T/now"
ok '56 queries asked' test "$(grep -c '^### ' "$T/now")" -eq 56
ok 'every query has an answer' test "$(grep -c '^summary \|^none ' "$T/now")" -eq 56
if [ -n "${RECORD:-}" ]; then
	cp "$T/now" "$EXPECTED"
	echo "# recorded $EXPECTED"
fi
ok 'results, ranking, snippets and facets as recorded' diff -u "$EXPECTED" "$T/now"
ok 'the record has results' test "$(grep -c '^hit ' "$EXPECTED")" -gt 500

# Side by side with another binary (OLD=...): its own copy of the data, its own index.
if [ -n "${OLD:-}" ]; then
	NEW_URL=$URL NEW_PID=$SERVER_PID
	cp -r "$DATA" "$T/old-data"
	rm -f "$T/old-data/index.db" "$T/old-data/index.db-wal" "$T/old-data/index.db-shm"
	"$OLD" reindex --data "$T/old-data" >/dev/null
	"$OLD" serve --data "$T/old-data" --listen 127.0.0.1:0 >"$T/old.out" 2>"$T/old.log" &
	OLD_PID=$!
	i=0
	until OLD_URL=$(sed -n 's|^kennis: serving .* on \(http://[^/]*\)/$|\1|p' "$T/old.out") && [ -n "$OLD_URL" ]; do
		i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.05
	done
	record "$OLD_URL" >"$T/old"
	kill "$OLD_PID"; wait "$OLD_PID"
	ok "side by side with $OLD: the same" diff -u "$T/old" "$T/now"
fi
done_testing
