#!/bin/sh
# Confidential spaces: a restricted page (a unique marker word and a unique title, about a
# customer that has public pages too) reaches nobody outside its space, by any address;
# once let in, the same user sees it everywhere. Pushes, moves, the CLI and the admin page.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
MARK=zebraquokka          # only in the restricted page's text
TITLE=Xylophone           # only in its title
FDIR=$T/fin

ok 'an open wiki cannot restrict a space' sh -c '! "$1" space add --data "$2" finance --read @finance 2>"$3/e" && grep -q "no accounts yet" "$3/e"' _ "$KENNIS" "$DATA" "$T"
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" "$1" >/dev/null; }
for u in adm:admin fin:editor ed:editor rd:reader fr:reader; do adduser "${u%%:*}" "${u#*:}"; done
ok 'groups' sh -c '"$1" group add --data "$2" finance fin fr >/dev/null && "$1" group add --data "$2" finance-writers fin >/dev/null && "$1" group list --data "$2" | grep -q "^finance  *fin,fr"' _ "$KENNIS" "$DATA"
ok 'a list naming a user that does not exist is refused' sh -c '! "$1" space add --data "$2" finance --read @finance,nobody 2>/dev/null' _ "$KENNIS" "$DATA"
ok 'space add' sh -c '"$1" space add --data "$2" finance --read @finance --write @finance-writers' _ "$KENNIS" "$DATA"
ok 'its own repository' test -f "$DATA/spaces/finance.git/HEAD"
ok 'space list' sh -c '"$1" space list --data "$2" | grep -q "^finance  *@finance  *@finance-writers"' _ "$KENNIS" "$DATA"
TOK_FIN=$("$KENNIS" token add --data "$DATA" fin 2>/dev/null)
TOK_FR=$("$KENNIS" token add --data "$DATA" fr 2>/dev/null)
TOK_ED=$("$KENNIS" token add --data "$DATA" ed 2>/dev/null)
start_server --anonymous-read on
H=${URL#http://}

for u in adm fin ed rd fr; do ok "login $u" test "$(login $u)" = 303; done
: >"$T/anon.jar"
csrf() { as "$1" "$URL${2:-/account}" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1; }

# --- the public pages about Globex, and the restricted one
ok 'public customer page' test "$(save_as ed '' Customers/Globex "---
customer: Globex
departments: [sales]
---
# Globex

Public notes about Globex.")" = 303
ok 'a public page the restricted one links to' test "$(save_as ed '' Globex-Public-Notes "---
customer: Globex
---
# Notes

Shipping is on Tuesdays.")" = 303
ok 'fin writes the restricted page on the web' test "$(save_as fin /s/finance Globex-Terms "---
title: $TITLE Settlement Terms
customer: Globex
departments: [finance]
tags: [payment-terms]
owner: fin
review-by: 2020-01-01
---
# Terms

Net 90, and the $MARK clause. See [[wiki:Globex Public Notes]] and [[Secret Missing Page]].")" = 303
ok 'its commit is in the space repository, not the wiki' sh -c 'git -C "$1/spaces/finance.git" log -1 --format=%s main | grep -q test && ! git -C "$1/wiki.git" log --all --format=%H | xargs -n1 git -C "$1/wiki.git" ls-tree -r --name-only 2>/dev/null | grep -q Globex-Terms' _ "$DATA"
ok 'an attachment in the space' sh -c 't=$(curl -s -b "$2/fin.jar" "$1/s/finance/wiki/Globex-Terms" | sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" | head -1)
	echo "secret $3 attachment" > "$2/terms.txt"
	test "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/fin.jar" -F "csrf=$t" -F "file=@$2/terms.txt" "$1/s/finance/upload/Globex-Terms")" = 303' _ "$URL" "$T" "$MARK"
ok 'fin sees the page, marked as in the space' sh -c 'p=$(curl -s -b "$2/fin.jar" "$1/s/finance/wiki/Globex-Terms"); echo "$p" | grep -q "$3" && echo "$p" | grep -q "Space.*finance"' _ "$URL" "$T" "$MARK"
REV=$(git -C "$DATA/spaces/finance.git" rev-parse main)

# --- the leak matrix: every address, for every outsider, answers without marker or title.
# A row: an address (a new view gets a row here).
cat >"$T/rows" <<EOF
/s/finance/
/s/finance/wiki/Home
/s/finance/wiki/Globex-Terms
/s/finance/wiki/Globex-Terms?rev=$REV
/s/finance/raw/Globex-Terms
/s/finance/history/Globex-Terms
/s/finance/diff/Globex-Terms?to=$REV
/s/finance/blame/Globex-Terms
/s/finance/wiki/Globex-Terms/terms.txt
/s/finance/edit/Globex-Terms
/s/finance/rename/Globex-Terms
/s/finance/pages
/s/finance/recent
/s/finance/feed
/s/finance/complete?q=Glo
/s/finance/wanted
/s/finance/orphans
/s/finance.git/info/refs?service=git-upload-pack
/search?q=zebraquok*
/search?q=xylophon*
/search?q=Globex
/search?q=space%3Afinance
/search?q=tag%3Apayment-terms
/search?q=customer%3AGlobex
/customers
/customer/Globex
/tags
/tag/payment-terms
/departments
/department/finance
/stale
/recent
/recent?customer=Globex
/feed
/feed/customer/Globex
/feed/tag/payment-terms
/wiki/Globex-Public-Notes
/wanted
/orphans
/pages
/complete?q=Glo
EOF
# The addresses never hold the patterns themselves (searches use prefixes), so an echo of
# the request is no leak: only content from the space can match.
leak() { # VIEWER ADDRESS: the answer holds neither marker nor title nor the page's name
	body=$(as "$1" "$URL$2")
	if echo "$body" | grep -q -e "$MARK" -e "$TITLE" -e "Globex-Terms" -e 'Secret-Missing'; then
		echo "$1 $2 leaks:"; echo "$body" | grep -e "$MARK" -e "$TITLE" -e "Globex-Terms" -e 'Secret-Missing' | head -3
		return 1
	fi
}
for who in anon rd ed fr0; do
	[ "$who" = fr0 ] && continue
	n=0; bad=0
	while read -r addr; do
		n=$((n + 1))
		leak "$who" "$addr" >>"$T/leaks" 2>&1 || bad=$((bad + 1))
	done <"$T/rows"
	ok "leak matrix: $who sees nothing of the space at $n addresses ($bad leak)" sh -c '[ "$1" = 0 ] || { cat "$2"; false; }' _ "$bad" "$T/leaks"
done
ok 'outsiders get 404 for the space (not 403: no hint that it exists)' sh -c '
	for u in rd ed; do c=$(curl -s -o /dev/null -w "%{http_code}" -b "$2/$u.jar" "$1/s/finance/wiki/Globex-Terms"); [ "$c" = 404 ] || exit 1; done
	c=$(curl -s -o /dev/null -w "%{http_code}" -b "$2/rd.jar" "$1/s/no-such-space/wiki/Home"); [ "$c" = 404 ]' _ "$URL" "$T"
ok 'the customer count is that of the public pages only' sh -c 'curl -s -b "$2/rd.jar" "$1/customers" | tr -d "\n" | grep -q "Globex</a></td><td>2</td>"' _ "$URL" "$T"
ok 'facet counts only over what the viewer may read' sh -c '! curl -s -b "$2/rd.jar" "$1/search?q=Globex" | grep -q "finance"' _ "$URL" "$T"
ok 'git clone of the space: refused for an outsider' sh -c '! git clone -q "http://ed:$2@$1/s/finance.git" "$3/c-ed" 2>"$3/e" && grep -qi "not found" "$3/e"' _ "$H" "$TOK_ED" "$T"
ok 'git clone of the space: anonymous is asked to log in (401), whether it exists or not' sh -c '
	a=$(curl -s -o /dev/null -w "%{http_code}" "$1/s/finance.git/info/refs?service=git-upload-pack")
	b=$(curl -s -o /dev/null -w "%{http_code}" "$1/s/nothing.git/info/refs?service=git-upload-pack")
	[ "$a" = 401 ] && [ "$b" = 401 ]' _ "$URL"

# --- members see it everywhere
for addr in "/search?q=$MARK" "/search?q=$TITLE" /customer/Globex /tag/payment-terms /department/finance /stale /recent \
	/feed "/feed/customer/Globex" "/s/finance/wiki/Globex-Terms" /wiki/Globex-Public-Notes; do
	ok "member fin sees it at $addr" sh -c 'curl -s -b "$2/fin.jar" "$1$3" | grep -qi -e "$4" -e "$5" -e "Globex-Terms"' _ "$URL" "$T" "$addr" "$MARK" "$TITLE"
done
ok 'the 360 marks the confidential page with its space' sh -c 'curl -s -b "$2/fin.jar" "$1/customer/Globex" | grep -q "space-mark.*finance"' _ "$URL" "$T"
ok 'search limited to a space' sh -c 'p=$(curl -s -b "$2/fin.jar" "$1/search?q=Globex+space%3Afinance"); echo "$p" | grep -q "Globex-Terms" && ! echo "$p" | grep -q "Globex-Public-Notes"' _ "$URL" "$T"
ok 'backlinks from the space show to members' sh -c 'curl -s -b "$2/fin.jar" "$1/wiki/Globex-Public-Notes" | grep -q "/s/finance/wiki/Globex-Terms"' _ "$URL" "$T"
ok 'the cross-space link points into the wiki' sh -c 'curl -s -b "$2/fin.jar" "$1/s/finance/wiki/Globex-Terms" | grep -q "class=\"wikilink space\" href=\"/wiki/Globex-Public-Notes\""' _ "$URL" "$T"
ok 'a reader in the group reads but may not edit (403, it exists for them)' sh -c '
	[ "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/fr.jar" "$1/s/finance/wiki/Globex-Terms")" = 200 ] &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/fr.jar" "$1/s/finance/edit/Globex-Terms")" = 403 ]' _ "$URL" "$T"
ok 'admins read every space' test "$(as adm -o /dev/null -w '%{http_code}' "$URL/s/finance/wiki/Globex-Terms")" = 200

# --- pushes to the space
ok 'fin clones the space' git clone -q "http://fin:$TOK_FIN@$H/s/finance.git" "$FDIR"
ok 'fin pushes to the space' sh -c 'cd "$1" && printf -- "---\ncustomer: Globex\n---\n# Pushed\n\nwalrusquokka in the space.\n" > Globex-Pushed.md && git add . && git commit -qm "push to finance" && git push -q origin main' _ "$FDIR"
ok 'the push is indexed at once: in the 360 for those allowed' sh -c 'curl -s -b "$2/fin.jar" "$1/customer/Globex" | grep -q Globex-Pushed' _ "$URL" "$T"
ok '...and nowhere for the others' sh -c '! curl -s -b "$2/rd.jar" "$1/customer/Globex" | grep -q Globex-Pushed && ! curl -s -b "$2/rd.jar" "$1/search?q=walrusquokka" | grep -q Pushed' _ "$URL" "$T"
ok 'a reader of the space may fetch but not push: 403 with a reason' sh -c '
	git clone -q "http://fr:$2@$1/s/finance.git" "$3/c-fr" && cd "$3/c-fr" && echo x > Fr.md && git add . && git commit -qm x &&
	! git push -q origin main 2>"$3/e" && cat "$3/e" && grep -q "403" "$3/e"' _ "$H" "$TOK_FR" "$T"
ok 'an outsider may not push: not found' sh -c '! git push -q "http://ed:$2@$1/s/finance.git" main 2>"$3/e"; grep -qi "not found" "$3/e"' _ "$H" "$TOK_ED" "$T"

# --- moving a page into the space leaves the public views in the same request
ok 'a public draft' test "$(save_as ed '' Globex-Contract-Draft "---
customer: Globex
---
# Draft

The draft.")" = 303
ok 'rd sees the draft in the 360' sh -c 'curl -s -b "$2/rd.jar" "$1/customer/Globex" | grep -q Globex-Contract-Draft' _ "$URL" "$T"
ok 'fin moves it into finance' sh -c 'f=$(curl -s -b "$2/fin.jar" "$1/rename/Globex-Contract-Draft")
	echo "$f" | grep -q "option value=\"finance\"" || { echo "no space choice"; exit 1; }
	b=$(echo "$f" | sed -n "s/.*name=\"base\" value=\"\([0-9a-f]*\)\".*/\1/p" | head -1)
	t=$(echo "$f" | sed -n "s/.*name=\"csrf\" value=\"\([^\"]*\)\".*/\1/p" | head -1)
	loc=$(curl -s -o /dev/null -w "%{redirect_url}" -b "$2/fin.jar" "$1/rename/Globex-Contract-Draft" --data-urlencode "base=$b" --data-urlencode "csrf=$t" --data-urlencode "to=Globex Contract Draft" --data-urlencode "space=finance")
	echo "$loc"; echo "$loc" | grep -q "/s/finance/wiki/Globex-Contract-Draft$"' _ "$URL" "$T"
ok 'at once gone from the public 360, search and the page' sh -c '
	! curl -s -b "$2/rd.jar" "$1/customer/Globex" | grep -q Globex-Contract-Draft &&
	! curl -s -b "$2/rd.jar" "$1/search?q=draft" | grep -q Contract-Draft &&
	[ "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/rd.jar" "$1/wiki/Globex-Contract-Draft")" = 404 ]' _ "$URL" "$T"
ok '...and there for the space' sh -c 'curl -s -b "$2/fin.jar" "$1/customer/Globex" | grep -q "/s/finance/wiki/Globex-Contract-Draft"' _ "$URL" "$T"
ok 'no redirect was left behind' sh -c '! git -C "$1/wiki.git" show main:_Redirects.md 2>/dev/null | grep -q Contract-Draft' _ "$DATA"

# --- letting someone in: the same user now sees it everywhere
ok 'ed joins the group' sh -c '"$1" group add --data "$2" finance ed >/dev/null' _ "$KENNIS" "$DATA"
sleep 1.2 # the registry is read again at most once a second
ok 'ed now sees the page, in search and in the 360' sh -c '
	[ "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/ed.jar" "$1/s/finance/wiki/Globex-Terms")" = 200 ] &&
	curl -s -b "$2/ed.jar" "$1/search?q=$3" | grep -q Globex-Terms && curl -s -b "$2/ed.jar" "$1/customer/Globex" | grep -q Globex-Terms' _ "$URL" "$T" "$MARK"

# --- the admin page
ADM_CSRF=$(csrf adm /admin/spaces)
ok 'admins manage spaces on the web' sh -c 'test "$(curl -s -o /dev/null -w "%{http_code}" -b "$2/adm.jar" "$1/admin/spaces" --data-urlencode "csrf=$3" --data "action=add&space=legal&read=%40finance&write=")" = 200 && test -d "$4/spaces/legal.git" && curl -s -b "$2/adm.jar" "$1/admin/spaces" | grep -q "legal"' _ "$URL" "$T" "$ADM_CSRF" "$DATA"
ok 'non-admins may not' test "$(as fin -o /dev/null -w '%{http_code}' "$URL/admin/spaces")" = 403
ok 'a bad list is refused with a reason' sh -c 'curl -s -b "$2/adm.jar" "$1/admin/spaces" --data-urlencode "csrf=$3" --data "action=set&space=legal&read=%40nogroup" | grep -q "no group"' _ "$URL" "$T" "$ADM_CSRF"

# --- check, reindex and deleting spaces
ok 'kennis check covers every space' sh -c '"$1" check --data "$2" | tee "$3/check" | grep -q "sound"' _ "$KENNIS" "$DATA" "$T"
ok 'space del refuses a space with pages' sh -c '! "$1" space del --data "$2" finance 2>/dev/null' _ "$KENNIS" "$DATA"
ok 'space del --force moves the repository aside' sh -c '"$1" space del --data "$2" --force legal >/dev/null && ls "$2/spaces/deleted" | grep -q "^legal-" && test ! -d "$2/spaces/legal.git"' _ "$KENNIS" "$DATA"
ok 'no sanitizer or error line in the log' sh -c '! grep -E " error " "$1"' _ "$LOG"
done_testing
