#!/bin/sh
# gencorpus.sh N GITDIR [URLFILE] -- write N generated customer pages into the bare repo
# GITDIR as ONE new commit on top of branch main, with git fast-import (no working tree),
# then HISTORY commits that each change one page.
#
#   Pages:  Customers/<Region>/Customer-00001.md ... Customer-<N>.md, 20 region folders
#           (LAYOUT=folders, the default), or Customer-00001.md ... in the root (LAYOUT=flat).
#   URLs:   one per line (/wiki/Customers/<Region>/Customer-00001) in URLFILE
#           (default: bench/out/urls.txt next to this script), in page-number order.
#   HISTORY (default 0): commits after the first, each appending a dated line to the "Log"
#           section of one page (the last 8 lines kept), by one of 12 authors, a minute
#           apart; page k is chosen with a probability ~1/k (Customer-00001 gets about
#           1/ln(N) of them: its history is long, most pages have none or one entry).
#
# The output is a pure function of N: awk draws from a fixed-seed Park-Miller LCG (exact in
# mawk's doubles), and author/committer dates are fixed, so the same N (on the same parent
# commit) gives the same tree and commit ids. GITDIR is created (git init --bare -b main)
# when missing; an existing repo without main gets a root commit.
# POSIX sh + awk (mawk-compatible); LC_ALL=C so awk's length() counts bytes.
set -eu
LC_ALL=C
export LC_ALL

usage() { echo "usage: [LAYOUT=folders|flat] [HISTORY=COMMITS] $0 N GITDIR [URLFILE]" >&2; exit 2; }
LAYOUT=${LAYOUT:-folders}
HISTORY=${HISTORY:-0}
case $LAYOUT in folders | flat) ;; *) usage ;; esac
case $HISTORY in '' | *[!0-9]*) usage ;; esac
case $# in 2 | 3) ;; *) usage ;; esac
N=$1
GITDIR=$2
case $N in '' | *[!0-9]*) usage ;; esac
[ "$N" -ge 1 ] || usage
BENCH=$(cd "$(dirname "$0")" && pwd)
URLFILE=${3:-$BENCH/out/urls.txt}
mkdir -p "$(dirname "$URLFILE")"

if [ ! -e "$GITDIR" ]; then
	git init -q --bare -b main "$GITDIR"
fi
git -C "$GITDIR" rev-parse --git-dir >/dev/null 2>&1 || { echo "$0: $GITDIR is not a git repository" >&2; exit 1; }
PARENT=$(git -C "$GITDIR" rev-parse -q --verify 'refs/heads/main^{commit}' 2>/dev/null || true)

# Fixed identity and dates (2024-01-01 00:00 UTC), so ids are reproducible.
WHO='Kennis Bench <bench@kennis.invalid> 1704067200 +0000'
MSG="bench: generate $N customer pages"

{
	# "feature done": a stream cut short (awk failing) aborts the import, no partial commit.
	printf 'feature done\ncommit refs/heads/main\n'
	printf 'author %s\ncommitter %s\n' "$WHO" "$WHO"
	printf 'data %d\n%s\n' "${#MSG}" "$MSG"
	[ -n "$PARENT" ] && printf 'from %s\n' "$PARENT"
	awk -v N="$N" -v URLFILE="$URLFILE" -v FLAT="$([ "$LAYOUT" = flat ] && echo 1 || echo 0)" -v HISTORY="$HISTORY" '
function rnd() { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
function ri(n) { return int(rnd() * n) }                # 0 .. n-1
function rr(a, b) { return a + ri(b - a + 1) }          # a .. b
function chance(pct) { return ri(100) < pct }
function num5(k) { return sprintf("%05d", k) }
# Folder of customer k: a fixed hash of the number, so links can name the right folder.
function folder(k) { return REG[((k * 40503 + 12345) % 65521) % NREG + 1] }
function pagename(k) { return FLAT ? "Customer-" num5(k) : "Customers/" folder(k) "/Customer-" num5(k) }
# The page of customer k as a wiki link names it: folder/title, or the title alone (flat).
function linkname(k) { return FLAT ? "Customer " num5(k) : "Customers/" folder(k) "/Customer " num5(k) }
function date(y0, y1) { return sprintf("%04d-%02d-%02d", rr(y0, y1), rr(1, 12), rr(1, 28)) }
function thousands(v,   s, r) {
	s = sprintf("%d", v); r = ""
	while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) }
	return s r
}
function subst(s, key, val,   i) {                     # literal replace-all, no regex
	while ((i = index(s, key)) > 0) s = substr(s, 1, i - 1) val substr(s, i + length(key))
	return s
}
function slug(s,   i, c, r) {
	s = tolower(s); r = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c ~ /[a-z0-9]/) r = r c
		else if (r != "" && substr(r, length(r)) != "-") r = r "-"
	}
	sub(/-+$/, "", r)
	return r
}
# A wiki link to another page: mostly existing pages (full path, sometimes with a label),
# some to pages beyond N, some bare [[Customer 01234]] that resolve to a missing root page.
function wikilink(self,   k, t) {
	t = ri(100)
	if (t < 80) { do k = rr(1, N); while (k == self && N > 1) }
	else k = N + rr(1, int(N / 10) + 1)
	if (t < 55 || (t >= 80 && t < 92))
		return "[[" linkname(k) "]]"
	if (t < 80)
		return "[[Customer " num5(k) "|" pagename(k) "]]"
	return "[[Customer " num5(k) "]]"
}
function sentence(   s) {
	s = SENT[rr(1, NSENT)]
	s = subst(s, "{P}", PROD[rr(1, NPROD)])
	s = subst(s, "{Q}", PROD[rr(1, NPROD)])
	s = subst(s, "{D}", DEPT[rr(1, NDEPT)])
	s = subst(s, "{N}", rr(2, 40))
	s = subst(s, "{Y}", rr(2019, 2024))
	s = subst(s, "{C}", FN[cfirst[rr(1, ncontacts)]])
	return s
}
function paragraph(n,   i, s) {
	s = sentence()
	for (i = 2; i <= n; i++) s = s " " sentence()
	return s
}

# HISTORY commits, each appending a line to the Log section of one page (the last 8 kept),
# page k chosen with probability ~1/k. Its own generator: the pages do not depend on it.
function history(   h, k, t, who, line, msg, p, nl) {
	hseed = 7
	split("Maria Jansen|Anna Bakker|Stefan Muller|Luc Dubois|Kari Nilsen|Paolo Rossi|John Smith|Ewa Kowalska|Rosa Garcia|Tunde Okafor|Hiro Tanaka|Carla Silva", AUTH, "|")
	for (h = 1; h <= HISTORY; h++) {
		hseed = (hseed * 16807) % 2147483647
		k = int(exp(hseed / 2147483647 * log(N + 1)))
		if (k < 1) k = 1
		if (k > N) k = N
		hseed = (hseed * 16807) % 2147483647
		who = AUTH[hseed % 12 + 1]
		t = 1704067200 + 60 * h
		line = SENT[hseed % NSENT + 1]
		line = subst(subst(line, "{P}", PROD[h % NPROD + 1]), "{Q}", PROD[(h + 5) % NPROD + 1])
		line = subst(subst(line, "{D}", DEPT[h % NDEPT + 1]), "{C}", FN[h % NFN + 1])
		line = "- " strftime_utc(t) " " who ": " subst(subst(line, "{N}", h % 39 + 2), "{Y}", 2019 + h % 6)
		LOG[k] = (LOG[k] == "" ? "" : LOG[k] "\n") line
		if (NLOG[k]++ >= 8) LOG[k] = substr(LOG[k], index(LOG[k], "\n") + 1)
		p = PAGE[k] "\n## Log\n\n" LOG[k] "\n"
		msg = "Log: " pagename(k)
		nl = who; gsub(/ /, ".", nl)
		print "commit refs/heads/main"
		printf "author %s <%s@example.com> %d +0000\n", who, tolower(nl), t
		printf "committer %s <%s@example.com> %d +0000\n", who, tolower(nl), t
		print "data " length(msg)
		print msg
		print "M 100644 inline " pagename(k) ".md"
		print "data " length(p)
		printf "%s\n", p
	}
}
# "YYYY-MM-DD HH:MM" of a Unix time in UTC (no strftime in mawk): days to a civil date.
function strftime_utc(t,   d, s, z, era, doe, yoe, y, doy, mp, dd, mm) {
	d = int(t / 86400); s = t - d * 86400
	z = d + 719468; era = int(z / 146097); doe = z - era * 146097
	yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
	y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
	mp = int((5 * doy + 2) / 153); dd = doy - int((153 * mp + 2) / 5) + 1
	mm = mp < 10 ? mp + 3 : mp - 9
	return sprintf("%04d-%02d-%02d %02d:%02d", y + (mm <= 2), mm, dd, int(s / 3600), int(s % 3600 / 60))
}

BEGIN {
	seed = 20240601
	NREG = split("Benelux DACH Nordics France Iberia Italy UK-Ireland Poland-Baltics Central-Europe Balkans Turkey Middle-East Africa India South-East-Asia Japan-Korea Australia-NZ North-America Latin-America Greater-China", REG, " ")
	# legal forms per region (same order as REG)
	split("B.V.|N.V.:GmbH|AG:AB|Oy|A/S:S.A.S.|S.A.:S.L.|S.A.:S.p.A.|S.r.l.:Ltd|plc:Sp. z o.o.|UAB:s.r.o.|Kft.:d.o.o.|AD:A.S.|Ltd. Sti.:LLC|FZ-LLC:Ltd|(Pty) Ltd:Pvt Ltd|Ltd:Pte Ltd|Sdn Bhd:K.K.|Co., Ltd.:Pty Ltd|Ltd:Inc.|LLC:S.A. de C.V.|Ltda.:Co., Ltd.|Ltd", FORM, ":")
	NIND = split("Logistics|Food Processing|Healthcare|Retail|Manufacturing|Energy|Financial Services|Construction|Education|Public Sector|Pharmaceuticals|Telecom|Automotive|Agriculture|Media|Hospitality|Insurance|Chemicals|Software|Real Estate", IND, "|")
	NPRE = split("Noord|Zuid|Alpine|Baltic|Sunrise|Blue Harbor|Kestrel|Meridian|Northwind|Ostrava|Granite|Silverline|Rivermark|Oakfield|Tidewater|Falcon|Aurora|Bergmann|Van Dijk|Lindqvist|Moreau|Castell|Rossi|Hartley|Kowalski|Novak|Petrov|Yilmaz|Haddad|Okafor|Sharma|Tan|Sato|Whitaker|Delgado|Wang|Evergreen|Summit|Pioneer|Harbor Point", PRE, "|")
	NCORE = split("Logistics|Foods|Medical|Systems|Bouw|Textiles|Energy|Analytics|Pharma|Retail|Freight|Robotics|Holdings|Industries|Solutions|Partners|Agro|Telecom|Motors|Insurance", CORE, "|")
	NTIER = split("Bronze|Silver|Gold|Platinum|Strategic", TIER, "|")
	NPLAN = split("Standard (business hours, SLA 1 day)|Extended (7-19h, SLA 8h)|Premium (24/7, SLA 4h)|Premium Plus (24/7, SLA 1h, named engineer)", PLAN, "|")
	NCON = split("Subscription|Enterprise agreement|Framework contract|Pilot|Pay-as-you-go|Public tender", CONTRACT, "|")
	NDEPT = split("Sales|Support|Finance|Legal|Engineering|Customer Success|Procurement|Marketing|Operations|IT", DEPT, "|")
	NTAG = split("key-account|smb|enterprise|churn-risk|renewal|pilot|reference-customer|upsell|gdpr|on-prem|cloud|partner-led", TAG, "|")
	NOWN = split("m.jansen|a.bakker|s.muller|l.dubois|k.nilsen|p.rossi|j.smith|e.kowalska|r.garcia|t.okafor|h.tanaka|c.silva", OWNER, "|")
	# First names: display form | ASCII form for e-mail (same index).
	NFN = split("Anna|Jürgen|Søren|Zoë|José|Łukasz|Emma|Liam|Sofia|Noah|Mia|Lucas|Olivia|Mateo|Fatima|Omar|Priya|Arjun|Yuki|Hiroshi|Chen|Mei|Amara|Kwame|Ingrid|Lars|Chloé|Pierre|Giulia|Marco|Ewa|Tomasz|Elif|Mehmet|Sarah|David|Lea|Jan|Nora|Ahmed", FN, "|")
	split("anna|juergen|soeren|zoe|jose|lukasz|emma|liam|sofia|noah|mia|lucas|olivia|mateo|fatima|omar|priya|arjun|yuki|hiroshi|chen|mei|amara|kwame|ingrid|lars|chloe|pierre|giulia|marco|ewa|tomasz|elif|mehmet|sarah|david|lea|jan|nora|ahmed", FNA, "|")
	NLN = split("de Vries|Müller|Andersen|Dubois|García|Nowak|Smith|Jansen|Rossi|Schmidt|Johansson|Martin|Fernández|Bianchi|O'\''Brien|Kowalski|Yılmaz|Haddad|Patel|Sato|Li|Okafor|Mensah|Berg|Leroy|Moretti|Wiśniewski|Demir|Cohen|Brown", LN, "|")
	split("devries|mueller|andersen|dubois|garcia|nowak|smith|jansen|rossi|schmidt|johansson|martin|fernandez|bianchi|obrien|kowalski|yilmaz|haddad|patel|sato|li|okafor|mensah|berg|leroy|moretti|wisniewski|demir|cohen|brown", LNA, "|")
	NROLE = split("CFO|CEO|CIO|Head of IT|Procurement lead|Operations manager|Finance controller|Project manager|Data protection officer|Plant manager|Head of Support|Purchasing agent|IT administrator|Legal counsel", ROLE, "|")
	NPROD = split("Kennis Cloud|Kennis On-Prem|Sync Gateway|Reporting Pack|Audit Log add-on|SSO connector|Mobile app licence|Data migration service|Training day|Premium support|API access tier|Archive storage (1 TB)", PROD, "|")
	NTASK = split("Send the renewal quote|Schedule the quarterly business review|Chase the overdue invoice|Update the data processing agreement|Confirm the new billing address|Plan the {P} rollout|Book a training day for the {D} team|Check SSO configuration with IT|Review the support ticket backlog|Prepare a case study draft|Collect feedback on {P}|Migrate the legacy archive|Agree on a price increase|Introduce the new account manager|Verify the VAT number", TASK, "|")
	NSENT = split("They have used {P} since {Y} and expanded to {N} seats last year.|The {D} team is the main day-to-day user.|Most tickets concern {P}; response times have been within SLA.|{C} asked for a roadmap session about {Q}.|Payment behaviour is good, invoices are usually paid within {N} days.|A competitor approached them in {Y}, but they stayed after a discount on {P}.|Decisions are made by a steering committee that meets every quarter.|They prefer e-mail over phone calls and want agendas a week in advance.|Their IT department runs a strict change freeze in December.|{C} is the internal champion and should be copied on everything important.|The contract includes a most-favoured-customer clause; check with Legal before offering discounts.|Procurement requires three quotes for anything above EUR {N},000.|They are evaluating {Q} for {N} additional sites.|Onboarding took longer than planned because of data quality issues.|Usage dropped by {N}% after the reorganisation; keep an eye on adoption.|They presented at our user day in {Y} and are open to being a reference.|Security questionnaires are long; reuse the answers from the last audit.|The {D} department has its own budget and buys separately.|A price increase of {N}% was accepted without discussion.|They run {P} next to an older in-house tool that they want to retire.|Renewal talks usually start three months before the end date.|{C} reports directly to the board and has final say on {P}.|Their fiscal year ends in June, so budget questions go out in spring.|There were two escalations in {Y}, both about {Q}.|Training sessions are well attended; they ask for recordings.", SENT, "|")

	for (i = 1; i <= N; i++) {
		reg = folder(i)
		for (r = 1; r <= NREG; r++) if (REG[r] == reg) break
		nf = split(FORM[r], forms, "|")
		ind = IND[rr(1, NIND)]
		company = PRE[rr(1, NPRE)] " " CORE[rr(1, NCORE)] " " forms[rr(1, nf)]
		domain = slug(company) ".example"
		owner = OWNER[rr(1, NOWN)]
		since = rr(2008, 2023)
		tier = TIER[rr(1, NTIER)]
		value = rr(30, 2400) * 100
		# contacts first: sentences mention them
		ncontacts = rr(2, 5)
		for (c = 1; c <= ncontacts; c++) { cfirst[c] = rr(1, NFN); clast[c] = rr(1, NLN) }

		p = ""
		if (chance(85)) {
			p = p "---\n"
			p = p "title: \"" company "\"\n"
			p = p "customer: \"Customer " num5(i) "\"\n"
			p = p "departments:\n"
			nd = rr(1, 4); d0 = rr(1, NDEPT)
			for (d = 0; d < nd; d++) p = p "  - " DEPT[(d0 + d * 3 - 1) % NDEPT + 1] "\n"
			p = p "tags: [" slug(ind) ", " tolower(reg)
			nt = rr(0, 3); t0 = rr(1, NTAG)
			for (t = 0; t < nt; t++) p = p ", " TAG[(t0 + t * 5 - 1) % NTAG + 1]
			p = p "]\n"
			p = p "owner: " owner "\n"
			p = p "review-by: " date(2025, 2026) "\n"
			p = p "---\n\n"
		}
		p = p "# " company "\n\n"
		p = p company " is a **" tolower(ind) "** customer in the " reg " region, managed by `" owner "` since " since ". " paragraph(rr(2, 4)) "\n\n"

		p = p "## At a glance\n\n"
		p = p "- **Customer number:** " num5(i) "\n"
		p = p "- **Industry:** " ind "\n"
		p = p "- **Region:** " reg "\n"
		p = p "- **Tier:** " tier "\n"
		p = p "- **Contract:** " CONTRACT[rr(1, NCON)] ", renews " date(2025, 2027) "\n"
		p = p "- **Annual value:** EUR " thousands(value) "\n"
		p = p "- **Support plan:** " PLAN[rr(1, NPLAN)] "\n"
		p = p "- **Website:** <https://www." domain "/>\n\n"

		p = p "## Contacts\n\n"
		p = p "| Name | Role | E-mail | Phone |\n"
		p = p "|------|------|--------|-------|\n"
		for (c = 1; c <= ncontacts; c++)
			p = p "| " FN[cfirst[c]] " " LN[clast[c]] " | " ROLE[rr(1, NROLE)] " | " FNA[cfirst[c]] "." LNA[clast[c]] "@" domain " | +" rr(30, 49) " " rr(10, 99) " 555 " sprintf("%04d", rr(0, 9999)) " |\n"
		p = p "\n"

		if (chance(60)) {
			p = p "## Orders\n\n"
			p = p "| Order | Date | Product | Qty | Amount (EUR) |\n"
			p = p "|------:|------|---------|----:|-------------:|\n"
			no = rr(3, 8)
			for (o = 1; o <= no; o++) {
				q = rr(1, 50)
				p = p "| SO-" rr(2019, 2024) "-" sprintf("%05d", rr(1, 99999)) " | " date(2019, 2024) " | " PROD[rr(1, NPROD)] " | " q " | " thousands(q * rr(40, 1200)) " |\n"
			}
			p = p "\n"
		}

		p = p "## Open tasks\n\n"
		nk = rr(2, 5)
		for (k = 1; k <= nk; k++) {
			task = subst(subst(TASK[rr(1, NTASK)], "{P}", PROD[rr(1, NPROD)]), "{D}", DEPT[rr(1, NDEPT)])
			p = p "- [" (chance(35) ? "x" : " ") "] " task " (" OWNER[rr(1, NOWN)] ", due " date(2024, 2025) ")\n"
		}
		p = p "\n"

		# 3-8 wiki links: one or two inline in the notes, the rest under Related.
		nlinks = rr(3, 8)
		ninline = rr(1, 2)
		p = p "## Notes\n\n"
		p = p paragraph(rr(2, 4)) " See also " wikilink(i) " for a similar setup.\n\n"
		np = rr(1, 3)
		for (k = 1; k <= np; k++) {
			p = p "### " date(2021, 2024) " " (chance(50) ? "Quarterly review" : (chance(50) ? "Call with " FN[cfirst[1]] : "Escalation")) "\n\n"
			p = p paragraph(rr(2, 5))
			if (k == 1 && ninline == 2) p = p " Compare " wikilink(i) "."
			p = p "\n\n"
			if (chance(25)) p = p "> " sentence() "\n> -- " FN[cfirst[rr(1, ncontacts)]] "\n\n"
		}
		if (chance(20)) {
			p = p "```text\nticket   #" rr(10000, 99999) "\nstatus   " (chance(50) ? "resolved" : "waiting on customer") "\nproduct  " PROD[rr(1, NPROD)] "\n```\n\n"
		}

		p = p "## Related\n\n"
		for (k = ninline + 1; k <= nlinks; k++) p = p "- " wikilink(i) "\n"

		path = pagename(i) ".md"
		print "M 100644 inline " path
		print "data " length(p)
		printf "%s\n", p
		print "/wiki/" pagename(i) > URLFILE
		if (HISTORY > 0) PAGE[i] = p
	}
	close(URLFILE)
	history()
	print "done"
	exit
}
' </dev/null
} | git -C "$GITDIR" fast-import --quiet --date-format=raw

git -C "$GITDIR" rev-parse 'refs/heads/main^{tree}' >/dev/null
