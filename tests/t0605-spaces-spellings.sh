#!/bin/sh
# One spelling per value (issue 13) and confidential spaces: a customer, tag or department
# is shown as the pages the viewer may read spell it. A spelling that only a restricted
# space uses (by its own customer page, or by most pages) reaches nobody outside it: not in
# search facets, a hit's customer, the lists, nor a view's title or sections. Its members
# see the spelling their spaces make the winner.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
# Only the confidential pages spell the values so (grep is case-sensitive); the public page
# writes them in lower case, and every address below asks in lower case.
CUST=QuOkKaCoRp
TAG=WoMbAtTaG
DEPT=EmUdEpT

adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" "$1" >/dev/null; }
for u in adm:admin fin:editor ed:editor rd:reader; do adduser "${u%%:*}" "${u#*:}"; done
ok 'a group and a restricted space' sh -c '"$1" group add --data "$2" finance fin >/dev/null && "$1" space add --data "$2" finance --read @finance --write @finance >/dev/null' _ "$KENNIS" "$DATA"
start_server --anonymous-read on
for u in fin ed rd; do ok "login $u" test "$(login $u)" = 303; done
: >"$T/anon.jar"
fm() { printf -- '---\ncustomer: %s\ntags: [%s]\ndepartments: [%s]\n---\n%s\n' "$1" "$2" "$3" "$4"; }

ok 'a public page spells them in lower case' test "$(save_as ed '' Quokka-Notes "$(fm quokkacorp wombattag emudept 'Public notes, quokkacorp.')")" = 303
ok 'the customer page of the space spells the customer its way' \
	test "$(save_as fin /s/finance "Customers/$CUST" "$(fm $CUST $TAG $DEPT 'Terms of quokkacorp.')")" = 303
for i in 1 2; do
	ok "restricted page $i spells them that way too" \
		test "$(save_as fin /s/finance "Quokka-Terms-$i" "$(fm $CUST $TAG $DEPT 'More terms of quokkacorp.')")" = 303
done

# The rows: every address that shows a customer, tag or department value.
cat >"$T/rows" <<EOF
/search?q=quokkacorp
/search?q=wombattag
/search?q=emudept
/search?q=customer%3Aquokkacorp
/search?q=tag%3Awombattag
/search?q=dept%3Aemudept
/search?q=notes
/customers
/customer/quokkacorp
/customer/QUOKKACORP
/tags
/tag/wombattag
/tag/WOMBATTAG
/departments
/department/emudept
/department/EMUDEPT
/recent?customer=quokkacorp
/feed/customer/quokkacorp
/wiki/Quokka-Notes
EOF
leak() { # VIEWER ADDRESS: no restricted spelling in the answer
	body=$(as "$1" "$URL$2")
	[ -n "$body" ] || { echo "$1 $2: empty answer"; return 1; }
	if echo "$body" | grep -q -e "$CUST" -e "$TAG" -e "$DEPT"; then
		echo "$1 $2 shows a restricted spelling:"; echo "$body" | grep -o -e ".\{0,60\}$CUST.\{0,20\}" -e ".\{0,60\}$TAG.\{0,20\}" -e ".\{0,60\}$DEPT.\{0,20\}" | head -3
		return 1
	fi
}
# A member asks first, so that whatever is shared between viewers (search's scores and
# results, the page data, caches) is warm with the member's view when outsiders ask.
ok 'member fin reads every address first' sh -c 'while read -r a; do curl -s -o /dev/null -b "$1/fin.jar" "$2$a" || exit 1; done <"$1/rows"' _ "$T" "$URL"
for who in anon rd ed; do
	n=0; bad=0; : >"$T/leaks"
	while read -r addr; do
		n=$((n + 1))
		leak "$who" "$addr" >>"$T/leaks" 2>&1 || bad=$((bad + 1))
	done <"$T/rows"
	ok "spelling matrix: $who sees no restricted spelling at $n addresses ($bad do)" sh -c '[ "$1" = 0 ] || { cat "$2"; false; }' _ "$bad" "$T/leaks"
done
# ...while the values themselves are there for them, as the public page spells them
ok 'outsiders see the values as the public page spells them' sh -c '
	p=$(curl -s -b "$2/rd.jar" "$1/search?q=quokkacorp")
	echo "$p" | grep -q "customer=quokkacorp\">quokkacorp</a>" && echo "$p" | grep -q "tag=wombattag\">wombattag</a>" &&
	echo "$p" | grep -q "dept=emudept\">emudept</a>" && echo "$p" | grep "result-meta" | grep -q ">quokkacorp</a>" &&
	curl -s -b "$2/rd.jar" "$1/customers" | grep -q ">quokkacorp<" && curl -s -b "$2/rd.jar" "$1/tags" | grep -q "wombattag"' _ "$URL" "$T"

# Members: the spelling of their spaces wins (the customer's own page; 3 pages to 1).
for addr in "/search?q=quokkacorp" /customers /customer/quokkacorp /tags /tag/wombattag /departments /department/emudept; do
	ok "member fin sees the space's spelling at $addr" sh -c 'curl -s -b "$2/fin.jar" "$1$3" | grep -q -e "$4" -e "$5" -e "$6"' _ "$URL" "$T" "$addr" "$CUST" "$TAG" "$DEPT"
done
ok 'member fin: facets and the hit customer spelled the space'"'"'s way' sh -c '
	p=$(curl -s -b "$2/fin.jar" "$1/search?q=quokkacorp")
	echo "$p" | grep -q "customer=$3\">$3</a>" && echo "$p" | grep -q "tag=$4\">$4</a>" && echo "$p" | grep -q "dept=$5\">$5</a>" &&
	! echo "$p" | grep "result-meta" | grep -q ">quokkacorp</a>"' _ "$URL" "$T" "$CUST" "$TAG" "$DEPT"
done_testing
