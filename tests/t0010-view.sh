#!/bin/sh
# Reading: front page, pages, frames, source, page list, static files, headers, keep-alive.
. "$(dirname "$0")/lib.sh"
start_server

ok 'front page is Home' contains '<h1 id="welcome-to-kennis">Welcome to kennis</h1>' get /
ok 'front page has a wiki link to the customer' contains 'href="/wiki/Customers/Acme-Corp"' get /
ok 'sidebar frames pages' contains '<aside class="sidebar' get /wiki/How-To-Use-Kennis
ok 'customer page renders a table' contains '<td>Wile E. Coyote</td>' get /wiki/Customers/Acme-Corp
ok 'task lists render as checkboxes' contains 'type="checkbox"' get /wiki/Customers/Acme-Corp
ok 'front matter is not rendered as Markdown' sh -c '! curl -s "$1/wiki/Customers/Acme-Corp" | grep -q "<hr />"' _ "$URL"
ok 'front matter is shown as a tidy header with links' contains 'href="/customer/Acme%20Corp">Acme Corp</a>' get /wiki/Customers/Acme-Corp
ok 'raw gives the Markdown source' contains '| Wile E. Coyote |' get /raw/Customers/Acme-Corp
ok 'raw is text/plain' sh -c 'curl -sI "$1/raw/Home" | grep -qi "^content-type: text/plain; charset=utf-8"' _ "$URL"
ok 'page list shows folders' sh -c 'curl -s "$1/pages" | grep -q "Customers/</h2>" && curl -s "$1/pages" | grep -q "href=\"/wiki/How-To-Use-Kennis\""' _ "$URL"
ok 'missing page is 404' test "$(code /wiki/No-Such-Page)" = 404
ok 'missing page links to create it' contains 'href="/edit/No-Such-Page"' get /wiki/No-Such-Page
ok 'unknown path is 404 HTML' sh -c 'curl -s "$1/nothing/here" | grep -q "404 · Not found"' _ "$URL"
ok 'wrong method is 405' test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$URL/wiki/Home")" = 405
ok 'stylesheet served' sh -c 'curl -sI "$1/static/kennis.css" | grep -qi "^content-type: text/css"' _ "$URL"
ok 'unknown static file is 404' test "$(code /static/nope.css)" = 404
ok 'CSP header on pages' sh -c 'curl -sI "$1/" | grep -qi "^content-security-policy: default-src .none."' _ "$URL"
ok 'nosniff header' sh -c 'curl -sI "$1/" | grep -qi "^x-content-type-options: nosniff"' _ "$URL"
ok 'HEAD works' sh -c 'curl -sI "$1/wiki/Home" | grep -q "^HTTP/1.1 200"' _ "$URL"
etag=$(curl -sI "$URL/wiki/Home" | sed -n 's/^ETag: //Ip' | tr -d '\r')
ok 'ETag then 304' test "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/wiki/Home")" = 304
ok 'keep-alive: two requests, one connection' sh -c '
	curl -sv -o /dev/null -o /dev/null "$1/wiki/Home" "$1/pages" 2>&1 | grep -q "Re-using existing connection"' _ "$URL"
ok 'old revision: malformed rev is 400' test "$(code '/wiki/Home?rev=xyz')" = 400
ok 'old revision: unknown rev is 404' test "$(code '/wiki/Home?rev=0123456789abcdef0123')" = 404
ok 'server logs requests' grep -q 'GET /wiki/Home 200' "$LOG"
done_testing
