#!/bin/sh
# Knowledge that comes to people: watches, mail, the watching feed and webhooks, end to end,
# against a real SMTP sink and a real HTTP receiver on 127.0.0.1. One push that changes two
# pages is one mail; the author hears nothing of their own change; nobody hears of a space
# they may not read; a receiver that fails twice gets the same event three times, signed; a
# server killed after a save still delivers; digests; unsubscribe links; feed tokens.
. "$(dirname "$0")/lib.sh"
"$KENNIS" init "$DATA" >/dev/null
adduser() { echo "pw-$1-secret" | "$KENNIS" user add --data "$DATA" --role "$2" --email "$1@example.test" "$1" >/dev/null; }
for u in adm:admin alice:editor bob:reader carol:reader fin:editor; do adduser "${u%%:*}" "${u#*:}"; done
echo "pw-nomail-secret" | "$KENNIS" user add --data "$DATA" --role reader nomail >/dev/null
"$KENNIS" group add --data "$DATA" finance fin >/dev/null
"$KENNIS" space add --data "$DATA" finance --read @finance --write @finance >/dev/null
MARK=quetzalbanjo # only in the finance page

mkdir "$T/mail" "$T/hook" "$T/all" "$T/late"
SINK= RECV= ALL= LATE=
stop_helpers() { for p in $SINK $RECV $ALL $LATE; do kill "$p" 2>/dev/null; done; }
trap 'stop_helpers; cleanup' EXIT
# port FILE: wait for a helper to print its port
port() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done; cat "$1"; }
perl "$TOP/tests/smtp-sink.pl" "$T/mail" >"$T/smtp.port" & SINK=$!
perl "$TOP/tests/webhook-receiver.pl" "$T/hook" 500 500 200 >"$T/hook.port" & RECV=$!
perl "$TOP/tests/webhook-receiver.pl" "$T/all" >"$T/all.port" & ALL=$!
perl "$TOP/tests/webhook-receiver.pl" "$T/late" >"$T/late.port" & LATE=$!
SPORT=$(port "$T/smtp.port") HPORT=$(port "$T/hook.port") APORT=$(port "$T/all.port") LPORT=$(port "$T/late.port")
SECRET="whsec_$(head -c 32 /dev/urandom | base64)"
ok 'a webhook for one customer' sh -c '"$1" webhook add --data "$2" "http://127.0.0.1:$3/acme" --customer "Acme Corp" --secret "$4" >/dev/null 2>&1' _ "$KENNIS" "$DATA" "$HPORT" "$SECRET"
ok 'a webhook for everything' sh -c '"$1" webhook add --data "$2" "http://127.0.0.1:$3/all" >/dev/null 2>&1' _ "$KENNIS" "$DATA" "$APORT"
ok 'a webhook for pages tagged late' sh -c '"$1" webhook add --data "$2" "http://127.0.0.1:$3/late" --tag late >/dev/null 2>&1' _ "$KENNIS" "$DATA" "$LPORT"
SERVE_ARGS="--smtp smtp://127.0.0.1:$SPORT --mail-from wiki@example.test --webhook-allow-private on --digest-at off"
# shellcheck disable=SC2086
start_server $SERVE_ARGS

for u in adm alice bob carol fin nomail; do ok "login $u" test "$(login $u)" = 303; done
csrf() { as "$1" "$URL${2:-/watching}" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1; }
# follow USER KIND VALUE MODE [SPACE]: through the Follow page's form
follow() {
	t=$(csrf "$1" /watching)
	as "$1" -o /dev/null -w '%{http_code}' "$URL/watch" --data-urlencode "csrf=$t" --data-urlencode "kind=$2" \
		--data-urlencode "value=$3" --data-urlencode "action=$4" --data-urlencode "space=${5:-}"
}
# mails_to USER: how many mails the sink has for USER; mail_of USER: the last one, decoded
mails_to() { grep -l "^X-Envelope-To: <$1@example.test>" "$T"/mail/*.eml 2>/dev/null | wc -l; }
mail_of() { f=$(grep -l "^X-Envelope-To: <$1@example.test>" "$T"/mail/*.eml | sort -V | tail -1)
	perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)' "$f"; }
# any_mail_has USER TEXT: some mail to USER has TEXT, decoded
any_mail_has() { for f in $(grep -l "^X-Envelope-To: <$1@example.test>" "$T"/mail/*.eml 2>/dev/null); do
	perl -MMIME::QuotedPrint -0777 -ne 'print decode_qp($_)' "$f" | grep -q -- "$2" && return 0; done; return 1; }
# has_mails USER N: at least N; mail_has USER TEXT: the last mail to USER has TEXT (a line's start with ^)
has_mails() { test "$(mails_to "$1")" -ge "$2"; }
mail_has() { mail_of "$1" | grep -q -- "$2"; }
# wait_for SECONDS COMMAND...: until the command succeeds
wait_for() { s=$1; shift; i=0; while ! "$@" >/dev/null 2>&1; do [ $i -ge $((s * 10)) ] && return 1; sleep 0.1; i=$((i + 1)); done; }

# --- following on the web
ok 'the Follow page of a customer' sh -c 'curl -s -b "$1" "$2/watch?kind=customer&value=Acme%20Corp" | grep -q "You do not watch customer Acme Corp"' _ "$T/bob.jar" "$URL"
ok 'bob follows Acme Corp at once' test "$(follow bob customer 'Acme Corp' immediate)" = 303
ok 'the page says so' sh -c 'curl -s -b "$1" "$2/watch?kind=customer&value=acme%20corp" | grep -q "You watch customer acme corp: a mail at each change"' _ "$T/bob.jar" "$URL"
ok 'alice follows Acme Corp too' test "$(follow alice customer 'Acme Corp' immediate)" = 303
ok 'adm follows Acme Corp' test "$(follow adm customer 'Acme Corp' immediate)" = 303
ok 'carol follows the tag renewal, daily' test "$(follow carol tag renewal digest)" = 303
ok 'nomail (no address) follows Acme Corp' test "$(follow nomail customer 'Acme Corp' immediate)" = 303
ok 'a page in a space one may not read cannot be followed' test "$(follow bob page Globex-Terms immediate finance)" = 404
ok 'nor a bad kind' test "$(follow bob colour blue immediate)" = 400
ok 'without a session: the login' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/watching")" = 303
ok '/watching lists the watch' sh -c 'curl -s -b "$1" "$2/watching" | grep -q "Acme Corp"' _ "$T/bob.jar" "$URL"

# --- one push by alice that changes two Acme pages
CLONE=$T/clone
TOK=$("$KENNIS" token add --data "$DATA" alice 2>/dev/null)
H=${URL#http://}
ok 'clone' git clone -q "http://alice:$TOK@$H/wiki.git" "$CLONE"
mkdir -p "$CLONE/Customers/Acme-Corp"
printf -- '---\ncustomer: Acme Corp\n---\n# Pricing\n\nList price 100.\n' >"$CLONE/Customers/Acme-Corp/Pricing.md"
printf -- '---\ncustomer: Acme Corp\ntags: [late]\n---\n# Contacts\n\nJane, the buyer.\n' >"$CLONE/Customers/Acme-Corp/Contacts.md"
ok 'push two pages in one commit' sh -c 'cd "$1" && git add -A && GIT_AUTHOR_EMAIL=alice@example.test GIT_COMMITTER_EMAIL=alice@example.test git commit -qm "Acme: pricing and contacts" && git push -q origin main' _ "$CLONE"
ok 'bob gets one mail' wait_for 20 has_mails bob 1
ok 'adm gets one too' wait_for 20 has_mails adm 1
ok 'the webhook is called three times (500, 500, 200)' wait_for 30 test -f "$T/hook/3.body"
sleep 1
ok 'bob got exactly one mail for the push' test "$(mails_to bob)" -eq 1
ok 'it names the first page' mail_has bob 'Customers/Acme-Corp/Pricing'
ok 'and the second' mail_has bob 'Customers/Acme-Corp/Contacts'
ok 'its subject names the customer and the author' sh -c 'grep -q "^Subject: \[Acme Corp\] .* by Test Pusher" "$1"/mail/*.eml' _ "$T"
ok 'it says why' mail_has bob 'because you watch customer Acme Corp'
ok 'it links to the page' mail_has bob "$URL/wiki/Customers/Acme-Corp/" 
ok 'it has List-Unsubscribe' sh -c 'grep -l "^X-Envelope-To: <bob@" "$1"/mail/*.eml | xargs grep -q "^List-Unsubscribe: <http"' _ "$T"
ok 'and one-click (RFC 8058)' sh -c 'grep -l "^X-Envelope-To: <bob@" "$1"/mail/*.eml | xargs grep -q "^List-Unsubscribe-Post: List-Unsubscribe=One-Click"' _ "$T"
ok 'the author (alice) gets none' test "$(mails_to alice)" -eq 0
ok 'an account without an address gets none' sh -c '! grep -q "nomail" "$1"/mail/*.eml' _ "$T"
ok 'the same event three times: one webhook-id' sh -c 'test "$(grep -hi "^webhook-id:" "$1"/hook/*.req | sort -u | wc -l)" -eq 1 && test ! -f "$1/hook/4.req"' _ "$T"
ok 'signed by the Standard Webhooks rule' perl -MDigest::SHA=hmac_sha256_base64 -MMIME::Base64 -e '
	my ($dir, $secret) = @ARGV; $secret =~ s/^whsec_//; my $key = decode_base64($secret);
	for my $n (1, 2, 3) {
		open my $h, "<", "$dir/$n.req" or die; local $/; my $req = <$h>;
		open my $b, "<", "$dir/$n.body" or die; my $body = <$b>;
		my ($id) = $req =~ /^webhook-id:\s*(\S+)/mi; my ($ts) = $req =~ /^webhook-timestamp:\s*(\d+)/mi;
		my ($sig) = $req =~ /^webhook-signature:\s*v1,(\S+)/mi;
		my $want = hmac_sha256_base64("$id.$ts.$body", $key); $want .= "=" while length($want) % 4;
		die "bad signature on try $n\n" unless $sig eq $want;
	}' "$T/hook" "$SECRET"
ok 'the payload: type, the two pages, the customer' perl -MJSON::PP -e '
	open my $b, "<", $ARGV[0] or die; local $/; my $j = decode_json(<$b>);
	die "type $j->{type}\n" unless $j->{type} eq "page.created";
	my @p = sort map { $_->{page_name} } @{$j->{data}{pages}};
	die "pages @p\n" unless "@p" eq "Customers/Acme-Corp/Contacts Customers/Acme-Corp/Pricing";
	die "customer\n" unless $j->{data}{pages}[0]{customer} eq "Acme Corp";
	die "url\n" unless $j->{data}{pages}[0]{html_url} =~ m{^http://127\.0\.0\.1:\d+/wiki/Customers/Acme-Corp/};
	die "space\n" unless $j->{data}{space} eq "wiki";' "$T/hook/3.body"
ok 'the tag filter: only the page tagged late' wait_for 20 sh -c 'test -f "$1/late/1.body" && grep -q "Contacts" "$1/late/1.body" && ! grep -q "Pricing" "$1/late/1.body"' _ "$T"
ok 'the delivery log says delivered' sh -c '"$1" notify queue --data "$2" | grep -q "nothing waits"' _ "$KENNIS" "$DATA"

# --- a push of three commits: three events, in order; a rename says the old name
ok 'three commits: an edit, a new page, a rename' sh -c 'cd "$1" && git pull -q &&
	printf -- "---\ncustomer: Acme Corp\n---\n# Pricing\n\nList price 120.\n" >Customers/Acme-Corp/Pricing.md && git commit -qam "price up" &&
	printf "# Old name\n\nText.\n" >Old-Name.md && git add Old-Name.md && git commit -qm "a new page" &&
	git mv Old-Name.md New-Name.md && git commit -qm "renamed" && git push -q origin main' _ "$CLONE"
# event_of ACTION PAGE: the body of the everything webhook's delivery about it
event_of() { grep -l "\"page_name\":\"$2\"" "$T"/all/*.body 2>/dev/null | xargs -r grep -l "\"action\":\"$1\"" | head -1; }
has_event() { test -n "$(event_of "$1" "$2")"; }
ok 'the edit arrives' wait_for 20 has_event edited Customers/Acme-Corp/Pricing
ok 'the new page arrives' wait_for 20 has_event created Old-Name
ok 'the rename arrives, with the old name' wait_for 20 sh -c 'f=$(grep -l "\"action\":\"renamed\"" "$1"/all/*.body) && grep -q "\"old_page_name\":\"Old-Name\"" $f && grep -q "\"page_name\":\"New-Name\"" $f' _ "$T"
ok 'one delivery per commit, in order' perl -MJSON::PP -e '
	my @want = ("edited", "created", "renamed"); my @got;
	for my $f (sort { ($a =~ /(\d+)\.body$/)[0] <=> ($b =~ /(\d+)\.body$/)[0] } glob("$ARGV[0]/all/*.body")) {
		open my $h, "<", $f or die; local $/; my $j = decode_json(<$h>);
		push @got, $j->{data}{pages}[0]{action} if $j->{data}{message} =~ /^(price up|a new page|renamed)/;
	}
	die "got @got\n" unless "@got" eq "@want";' "$T"
ok 'the page names its commit and author' sh -c 'f=$(grep -l "\"action\":\"renamed\"" "$1"/all/*.body) && grep -q "\"commit\":\"$(git -C "$2" rev-parse HEAD)\"" $f && grep -q "\"name\":\"Test Pusher\"" $f' _ "$T" "$CLONE"
b=$(curl -s -b "$T/alice.jar" "$URL/delete/New-Name" | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p' | head -1)
t=$(csrf alice /watching)
ok 'a delete on the web' test "$(as alice -o /dev/null -w '%{http_code}' "$URL/delete/New-Name" --data-urlencode "base=$b" --data-urlencode "csrf=$t" --data-urlencode "reason=not needed")" = 303
ok 'the delete arrives' wait_for 20 has_event deleted New-Name

# --- a confidential space: nothing reaches anyone outside it
ok 'fin writes a finance page about Acme Corp' test "$(save_as fin /s/finance Acme-Settlement "---
customer: Acme Corp
tags: [renewal]
---
# Settlement $MARK")" = 303
ok 'adm (who may read every space) hears of it' wait_for 20 any_mail_has adm Acme-Settlement
sleep 2
not_ok 'bob does not (no mail names it)' any_mail_has bob Settlement
not_ok 'nor its marker' any_mail_has bob "$MARK"
ok 'no webhook without the space got it' sh -c '! grep -rl -e "Settlement" -e "$2" "$1/all" "$1/hook" "$1/late"' _ "$T" "$MARK"
ok 'not in bob'"'"'s watching feed' sh -c '! curl -s -b "$1" "$2/feed/watching" | grep -q -e Settlement -e "$3"' _ "$T/bob.jar" "$URL" "$MARK"
ok 'carol (digest, tag renewal, no access) has no notice of it' sh -c '! curl -s -b "$1" "$2/feed/watching" | grep -q Settlement' _ "$T/carol.jar" "$URL"

# --- the everything webhook had the public push
ok 'the everything webhook got the push' sh -c 'grep -q "Acme-Corp/Pricing" "$1"/all/*.body' _ "$T"

# --- daily digest
ok 'alice tags a page renewal' test "$(save_as alice '' Renewals "---
tags: [renewal]
---
# Renewals

Q3 renewals.")" = 303
ok 'carol sees it in her watching feed' wait_for 20 sh -c 'curl -s -b "$1" "$2/feed/watching" | grep -q "Renewals"' _ "$T/carol.jar" "$URL"
ok 'but no mail yet: she asked for a digest' test "$(mails_to carol)" -eq 0
ok 'kennis notify digest queues it' sh -c '"$1" notify digest --data "$2" | grep -q "1 digest mail queued"' _ "$KENNIS" "$DATA"
ok 'carol gets her digest' wait_for 20 has_mails carol 1
ok 'it is the digest' mail_has carol '^Subject: Your kennis digest'
ok 'it lists the page' mail_has carol 'Renewals'
ok 'a second digest has nothing new' sh -c '"$1" notify digest --data "$2" | grep -q "0 digest mails queued"' _ "$KENNIS" "$DATA"

# --- unsubscribe from a mail
# from the raw header (decoding the body's quoted-printable would read "=4F" in a link as "O")
UNSUB=$(grep -l "^X-Envelope-To: <bob@example.test>" "$T"/mail/*.eml | sort -V | tail -1 | xargs sed -n 's/^List-Unsubscribe: <\(.*\)>\r*$/\1/p' | head -1)
ok 'the link is ours' sh -c 'case "$1" in "$2"/unsubscribe\?u=*) ;; *) echo "link: $1"; exit 1;; esac' _ "$UNSUB" "$URL"
ok 'GET asks first (a mail scanner changes nothing)' sh -c 'curl -s "$1" | grep -q "Stop mails about customer Acme Corp" && curl -s -b "$2" "$3/watching" | grep -q "Acme Corp"' _ "$UNSUB" "$T/bob.jar" "$URL"
ok 'a changed signature is refused' test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$(echo "$UNSUB" | sed 's/s=[^&]*$/s=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/')")" = 400
ok 'another user id is refused' test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$(echo "$UNSUB" | sed 's/u=[0-9]*/u=1/')")" = 400
ok 'one-click POST (RFC 8058)' sh -c 'curl -s "$1" --data "List-Unsubscribe=One-Click" | grep -q "unsubscribed"' _ "$UNSUB"
ok 'bob no longer follows Acme Corp' sh -c '! curl -s -b "$1" "$2/watching" | grep -q "Acme Corp"' _ "$T/bob.jar" "$URL"

# --- feed tokens
T0=$(csrf carol /watching)
NEWFEED=$(as carol "$URL/watching" --data-urlencode "csrf=$T0" --data "action=token-new" | sed -n 's/.*id="new-feed-url">\([^<]*\)<.*/\1/p' | sed 's/&amp;/\&/g')
ok 'a private feed address' sh -c 'case "$1" in *"/feed/watching?token=kf_"*) ;; *) exit 1;; esac' _ "$NEWFEED"
ok 'a feed reader reads it without a session' sh -c 'curl -s "$1" | grep -q "Renewals"' _ "$NEWFEED"
ok 'the token works on a tag feed too' sh -c 'curl -s "$2/feed/tag/renewal?token=${1##*token=}" | grep -q "Renewals"' _ "$NEWFEED" "$URL"
ok 'and never on a page that is not a feed' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/watching?token=${NEWFEED##*token=}")" = 303
ok 'a wrong token: the login' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/feed/watching?token=kf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")" = 303
T0=$(csrf carol /watching)
as carol -o /dev/null "$URL/watching" --data-urlencode "csrf=$T0" --data "action=token-revoke"
ok 'a revoked token no longer works' test "$(curl -s -o /dev/null -w '%{http_code}' "$NEWFEED")" = 303

# --- the Watch button on a page, and on a customer's view
ok 'a page shows Watch to a reader' sh -c 'curl -s -b "$1" "$2/wiki/Renewals" | grep -q "id=\"watch\""' _ "$T/bob.jar" "$URL"
ETAG1=$(curl -s -o /dev/null -D - -b "$T/bob.jar" "$URL/wiki/Renewals" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
t=$(csrf bob /watching)
ok 'Watch comes back to the page' test "$(as bob -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/watch" --data-urlencode "csrf=$t" --data "kind=page&value=Renewals&space=wiki&action=immediate" --data-urlencode "next=/wiki/Renewals")" = "303 $URL/wiki/Renewals"
ok 'which now says Unwatch' sh -c 'curl -s -b "$1" "$2/wiki/Renewals" | grep -q "id=\"unwatch\""' _ "$T/bob.jar" "$URL"
ok 'and a cached copy is not reused (the ETag changed)' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/bob.jar" -H "If-None-Match: $ETAG1" "$URL/wiki/Renewals")" = 200
ok 'a next that leaves the site is not followed' test "$(as bob -o /dev/null -w '%{redirect_url}' "$URL/watch" --data-urlencode "csrf=$t" --data "kind=page&value=Renewals&space=wiki&action=stop" --data-urlencode "next=//evil.example/")" != "//evil.example/"
ok 'the customer view has a Watch button' sh -c 'curl -s -b "$1" "$2/customer/Acme-Corp" | grep -q "id=\"watch\""' _ "$T/bob.jar" "$URL"
ok 'and for a watcher, Unwatch' sh -c 'curl -s -b "$1" "$2/customer/Acme-Corp" | grep -q "id=\"unwatch\""' _ "$T/adm.jar" "$URL"
ok 'the watching feed is well-formed Atom' sh -c 'curl -s -b "$1" "$2/feed/watching" >"$3/w.xml" && { perl -MXML::Parser -e "XML::Parser->new->parsefile(\$ARGV[0])" "$3/w.xml" 2>/dev/null || python3 -c "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])" "$3/w.xml"; } && grep -q "<entry>" "$3/w.xml"' _ "$T/carol.jar" "$URL" "$T"

# --- /admin/webhooks
ok 'admins see the webhooks and their deliveries' sh -c 'h=$(curl -s -b "$1" "$2/admin/webhooks"); echo "$h" | grep -q "/acme" && echo "$h" | grep -q "delivered 200" && echo "$h" | grep -q "500"' _ "$T/adm.jar" "$URL"
ok 'others do not' test "$(curl -s -o /dev/null -w '%{http_code}' -b "$T/bob.jar" "$URL/admin/webhooks")" = 403
t=$(csrf adm /admin/webhooks)
ok 'a webhook added on the web, its secret shown once' sh -c 'curl -s -b "$1" "$2/admin/webhooks" --data-urlencode "csrf=$3" --data-urlencode "url=http://127.0.0.1:$4/web" --data "action=add&tag=renewal" | grep -q "id=\"new-secret\">whsec_"' _ "$T/adm.jar" "$URL" "$t" "$LPORT"
ok 'a private target is checked as on the command line' sh -c 'curl -s -b "$1" "$2/admin/webhooks" --data-urlencode "csrf=$3" --data-urlencode "url=ftp://x" --data "action=add" | grep -q "Not added"' _ "$T/adm.jar" "$URL" "$t"
ok 'a ping is queued and delivered' sh -c 'curl -s -o /dev/null -b "$1" "$2/admin/webhooks" --data-urlencode "csrf=$3" --data "action=test&id=3"' _ "$T/adm.jar" "$URL" "$t"
ok 'the receiver got the ping' wait_for 20 sh -c 'grep -l "\"type\":\"ping\"" "$1"/late/*.body | grep -q .' _ "$T"

# --- a server killed right after a save still delivers, once it is back
kill "$ALL"; wait "$ALL" 2>/dev/null; ALL=
mkdir "$T/all2"
ok 'alice saves while the receiver is down' test "$(save_as alice '' Customers/Acme-Corp/Notes "---
customer: Acme Corp
---
# Notes

Killed after this.")" = 303
kill -9 "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=
PORT=$APORT perl "$TOP/tests/webhook-receiver.pl" "$T/all2" >/dev/null & ALL=$!
# shellcheck disable=SC2086
start_server $SERVE_ARGS
ok 'after the restart the change is delivered' wait_for 30 sh -c 'grep -l "Acme-Corp/Notes" "$1"/all2/*.body | grep -q .' _ "$T"
sleep 2
ok 'once' sh -c 'test "$(grep -l "Acme-Corp/Notes" "$1"/all/*.body "$1"/all2/*.body 2>/dev/null | wc -l)" -eq 1' _ "$T"
ok 'mails share SMTP connections (fewer connections than mails)' sh -c 'm=$(ls "$1"/mail | grep -c "\.eml$"); c=$(ls "$1"/mail | grep -c "^connection-"); echo "$m mails, $c connections"; test "$m" -ge 4 && test "$c" -lt "$m"' _ "$T"
done_testing
