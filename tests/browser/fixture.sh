# fixture.sh: for the browser tests (tests/t01NN-*.sh), sourced after lib.sh.
# browser_deps installs playwright-core and axe-core (tests/browser/package-lock.json) once.
B="$TOP/tests/browser"
OUT="$TOP/tests/out"
browser_deps() {
	[ -d "$B/node_modules/playwright-core" ] && [ -d "$B/node_modules/axe-core" ] && return 0
	# one npm ci at a time: prove runs these scripts in parallel
	(cd "$B" && flock .npm-lock sh -c 'test -d node_modules/playwright-core && test -d node_modules/axe-core ||
		npm ci --no-audit --no-fund --silent' >/dev/null 2>&1) ||
		{ echo "Bail out! npm ci failed in tests/browser"; exit 1; }
}

# run_node SCRIPT ARGS...: a browser test; its TAP lines continue with the server's checks
# (done_testing: clean exit, no sanitizer report) and one plan.
run_node() {
	TAP_STATE="$T/tap-state" node "$@"
	if [ -s "$T/tap-state" ]; then
		read -r _n _failed <"$T/tap-state"
	else
		_n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $1 ran to its end"
	fi
	done_testing
}

# browser_test SCRIPT: a server with the fixture below, then node tests/browser/SCRIPT URL REV
# (REV: the commit before the last one, for old versions and diffs).
browser_test() {
	browser_deps
	start_server
	fixture_pages && fixture_accounts || { echo "Bail out! could not set up the fixture"; exit 1; }
	run_node "$B/$1" "$URL" "$(git -C "$T/fx" rev-parse HEAD~1)"
}

# fixture_pages: content, sourced after start_server.
# Pushes pages that give every page type something to show: a wide table and a long code
# line, customers with page data, a page due for review, a wanted and an orphaned page, a
# deleted page, an attachment; then makes accounts (admin "ada", editor "eve"), so the
# login, account and admin pages exist.
fixture_pages() {
	git clone -q "$URL/wiki.git" "$T/fx" || return 1
	mkdir -p "$T/fx/Customers/Globex" "$T/fx/Notes"
	cat >"$T/fx/Wide-Page.md" <<'MD'
# A page with wide things

| Customer | Contact | Phone | E-mail | Street | City | Country | Contract | Renewal | Owner | Notes | More notes |
|---|---|---|---|---|---|---|---|---|---|---|---|
| Acme Corporation International | Wile E. Coyote | +1 555 0100 200 | wile.e.coyote@acme.example.com | 1 Desert Road | Phoenix | United States | ACME-2019-0042-RENEWAL | 2027-06-30 | Dana Example | skates, anvils, rockets | deliveries on weekdays only |

```
curl -s -H 'Authorization: Bearer 0123456789abcdef0123456789abcdef' 'https://crm.example.com/api/v2/customers/acme-corp/contacts?fields=name,role,phone,email,address,notes&limit=500&sort=-updated'
```

A long address without blanks: https://crm.example.com/customers/acme-corporation-international/contracts/ACME-2019-0042/attachments/signed-renewal.pdf

Inline code too: `Customers/Acme-Corp/very-long-attachment-name-that-does-not-wrap-anywhere.pdf`.
The contract is in [the CRM](https://crm.example.com/acme).

See [[Customers/Acme Corp]] and [[Missing Page Somebody Wants]].
MD
	cat >"$T/fx/Customers/Globex/Support-Notes.md" <<'MD'
---
departments: [support]
tags: [escalation]
owner: Sam Support
review-by: 2020-01-01
---
# Globex support notes

Escalations go to [[Customers/Acme Corp]] first (a joke). See [[Wide Page]].
MD
	cat >"$T/fx/Notes/Call.md" <<'MD'
---
customer: Globex
departments: [sales, finance]
tags: [key-account]
owner: Sally Sales
review-by: 2999-12-31
---
# Call notes

Call notes about Globex.
MD
	printf '# Nobody links here\n\nAn orphan.\n' >"$T/fx/Notes/Orphan.md"
	# page comforts: contents (3+ headings), anchors, coloured code, a footnote, tasks
	cat >"$T/fx/Notes/Handbook.md" <<'MD'
# Support handbook

How we answer Acme, in short.[^sla]

## Setup

- [x] get access to the CRM
- [ ] read the contract

```sh
curl -s -H 'Authorization: Bearer 0123456789abcdef' 'https://crm.example.com/api/v2/customers/acme-corp/contacts?fields=name,role,phone,email,address,notes&limit=500' # all contacts
```

## Scripts

```python
def escalate(ticket, level=2):
    """Hand the ticket on."""
    return notify(ticket, level, True)  # see the SLA
```

```json
{"customer": "Acme", "tier": 2, "active": true, "owner": null}
```

## Contacts

| Name | Role |
|---|---|
| Wile E. Coyote | Buyer |

### Out of hours

Call the night desk.

[^sla]: The SLA is on the customer page, [[Customers/Acme Corp]].
MD
	printf '# Old plan\n\nTo be deleted.\n' >"$T/fx/Old-Plan.md"
	mkdir -p "$T/fx/Customers/Acme-Corp"
	printf '\x89PNG\r\n\x1a\n' >"$T/fx/Customers/Acme-Corp/logo.png"
	(cd "$T/fx" && git add . && git commit -qm 'Fixture pages for the browser tests' && git push -q) || return 1
	# a second version of the customer page (history and diff have two entries)
	sed -i 's/a customer since 2019/a customer since 2019, renewed in 2024/' "$T/fx/Customers/Acme-Corp.md"
	(cd "$T/fx" && git commit -qam 'Renewal noted' && git push -q) || return 1
	git -C "$T/fx" rm -q Old-Plan.md && (cd "$T/fx" && git commit -qm 'Delete Old-Plan: done' && git push -q)
}

# fixture_accounts: admin ada and editor eve (password: correct-horse-battery).
fixture_accounts() {
	echo 'correct-horse-battery' | "$KENNIS" user add --data "$DATA" --role admin --display 'Ada Admin' --email ada@example.com ada >/dev/null &&
	echo 'correct-horse-battery' | "$KENNIS" user add --data "$DATA" --role editor --display 'Eve Editor' eve >/dev/null
}
