#!/bin/sh
# Attachments: upload into git next to the page, serve with a safe type, list, delete;
# HTML/SVG never run script in the wiki's origin.
. "$(dirname "$0")/lib.sh"
start_server --max-file 200000
printf '\211PNG\r\n\032\n%s' "$(head -c 100 /dev/zero | tr '\0' x)" > "$T/logo.png"
up() { curl -s -o "$T/up.out" -w '%{http_code}' "$URL/upload/$1" -F "file=@$2${3:+;filename=$3}"; }

ok 'upload a PNG to a page' test "$(up Customers/Acme-Corp "$T/logo.png")" = 303
ok 'stored in git next to the page' sh -c 'git -C "$1/wiki.git" cat-file -e main:Customers/Acme-Corp/logo.png' _ "$DATA"
ok 'identical bytes' sh -c 'git -C "$1/wiki.git" cat-file blob main:Customers/Acme-Corp/logo.png | cmp -s - "$2/logo.png"' _ "$DATA" "$T"
ok 'the upload is a commit saying so' sh -c 'git -C "$1/wiki.git" log -1 --format=%s main | grep -qx "Attach logo.png to Customers/Acme-Corp"' _ "$DATA"
ok 'served as image/png, inline, nosniff' sh -c '
	h=$(curl -sI "$1/wiki/Customers/Acme-Corp/logo.png"); echo "$h" | grep -qi "^content-type: image/png" &&
	echo "$h" | grep -qi "^content-disposition: inline" && echo "$h" | grep -qi "^x-content-type-options: nosniff"' _ "$URL"
ok 'listed on the page with an embed snippet' contains '![](Acme-Corp/logo.png)' get /wiki/Customers/Acme-Corp
ok 'the page has an upload form' contains 'enctype="multipart/form-data"' get /wiki/Customers/Acme-Corp
# embed it: the relative link resolves to the attachment (written as an absolute path)
base=$(base_of Customers/Acme-Corp)
save Customers/Acme-Corp "$base" '# Acme

![logo](Acme-Corp/logo.png)' >/dev/null
ok 'an embedded image renders as <img>' contains '<img src="/wiki/Customers/Acme-Corp/logo.png" alt="logo"' get /wiki/Customers/Acme-Corp

printf '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' > "$T/evil.svg"
printf '<html><script>alert(document.cookie)</script></html>' > "$T/evil.html"
ok 'an SVG upload is accepted' test "$(up Customers/Acme-Corp "$T/evil.svg")" = 303
ok 'SVG is a sandboxed download' sh -c '
	h=$(curl -sI "$1/wiki/Customers/Acme-Corp/evil.svg"); echo "$h" | grep -qi "^content-disposition: attachment" &&
	echo "$h" | grep -qi "^content-security-policy: sandbox"' _ "$URL"
ok 'HTML uploads are refused (type not allowed)' test "$(up Customers/Acme-Corp "$T/evil.html")" = 400
ok 'an HTML file pushed by git is served as a sandboxed download' sh -c '
	git clone -q "$1/wiki.git" "$2/c" && cp "$3" "$2/c/Customers/Acme-Corp/x.html" && cd "$2/c" && git add . && git commit -qm html && git push -q &&
	h=$(curl -sI "$1/wiki/Customers/Acme-Corp/x.html"); echo "$h" | grep -qi "^content-type: application/octet-stream" &&
	echo "$h" | grep -qi "^content-disposition: attachment" && echo "$h" | grep -qi "^content-security-policy: sandbox"' _ "$URL" "$T" "$T/evil.html"
ok 'a Markdown page cannot be uploaded as an attachment' test "$(up Customers/Acme-Corp "$T/logo.png" 'page.md')" = 400
ok 'a path in the file name is reduced to its base name' sh -c '
	test "$(curl -s -o /dev/null -w "%{http_code}" "$1/upload/Customers/Acme-Corp" -F "file=@$2;filename=../../etc/x.png")" = 303 &&
	git -C "$3/wiki.git" cat-file -e main:Customers/Acme-Corp/x.png' _ "$URL" "$T/logo.png" "$DATA"
ok 'a hidden file name is refused' test "$(up Customers/Acme-Corp "$T/logo.png" '.htaccess.png')" = 400
head -c 300000 /dev/zero > "$T/big.png"
ok 'a file over --max-file is 413' test "$(up Customers/Acme-Corp "$T/big.png")" = 413
ok 'upload without a file is 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/upload/Customers/Acme-Corp" -F 'csrf=x')" = 400
ok 'upload to a bad page name is 400' test "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$URL/upload/../x" -F "file=@$T/logo.png")" = 400
ok 'no temporary files are left behind' sh -c 'test -z "$(ls -A "$1/tmp")"' _ "$DATA"

ok 'delete an attachment' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/detach/Customers/Acme-Corp" --data 'file=logo.png')" = 303
ok 'gone from main, kept in history' sh -c '! git -C "$1/wiki.git" cat-file -e main:Customers/Acme-Corp/logo.png 2>/dev/null &&
	git -C "$1/wiki.git" cat-file -e main~1:Customers/Acme-Corp/logo.png 2>/dev/null || git -C "$1/wiki.git" log --format=%s main | grep -q "Remove attachment logo.png"' _ "$DATA"
ok 'deleting a missing attachment is 404' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/detach/Customers/Acme-Corp" --data 'file=nope.png')" = 404
ok 'deleting with a path is 400' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/detach/Customers/Acme-Corp" --data 'file=../Home.md')" = 400

# Renaming the page takes its attachments along, and the links to them.
ok 'the logo again' test "$(up Customers/Acme-Corp "$T/logo.png")" = 303
rb=$(get /rename/Customers/Acme-Corp | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
ok 'rename the page with attachments' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/rename/Customers/Acme-Corp" --data "to=Archive/Acme&base=$rb")" = 303
ok 'the attachment is served from the new folder' sh -c 'curl -sI "$1/wiki/Archive/Acme/logo.png" | grep -qi "^content-type: image/png"' _ "$URL"
ok 'and no longer from the old one' test "$(code /wiki/Customers/Acme-Corp/logo.png)" = 404
ok 'the renamed page lists it' contains '![](Acme/logo.png)' get /wiki/Archive/Acme
ok 'its embedded image follows' contains '<img src="/wiki/Archive/Acme/logo.png" alt="logo"' get /wiki/Archive/Acme
ok 'the commit says so' sh -c 'git -C "$1/wiki.git" log -1 --format=%B main | grep -q "Attachments moved along: .*logo.png"' _ "$DATA"
rb=$(get /rename/Archive/Acme | sed -n 's/.*name="base" value="\([0-9a-f]*\)".*/\1/p')
ok 'and back' test "$(curl -s -o /dev/null -w '%{http_code}' "$URL/rename/Archive/Acme" --data "to=Customers/Acme-Corp&base=$rb")" = 303

# With accounts, only editors upload, and with their CSRF token.
stop_server
echo 'pw-rd-secret' | "$KENNIS" user add --data "$DATA" --role reader rd >/dev/null
start_server --max-file 200000
ok 'the reader logs in' test "$(curl -s -o /dev/null -w '%{http_code}' -c "$T/rd.jar" "$URL/login" --data 'user=rd&password=pw-rd-secret')" = 303
c=$(curl -s -o /dev/null -w '%{http_code}' -b "$T/rd.jar" "$URL/upload/Customers/Acme-Corp" -F "file=@$T/logo.png")
ok "a reader may not upload (got $c)" test "$c" = 403
ok 'a reader sees the attachment list without forms' sh -c '! curl -s -b "$2/rd.jar" "$1/wiki/Customers/Acme-Corp" | grep -q "upload-form"' _ "$URL" "$T"
done_testing
