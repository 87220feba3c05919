/* fanout.c: the fan-out thread: commits of every space into webhook calls, mails and notices. */
#include "fanout.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "events.h"
#include "mailer.h"
#include "notify.h"
#include "outbox.h"
#include "repos.h"
#include "spaces.h"
#include "state.h"
#include "watches.h"
#include "webhooks.h"

#define POLL 2 /* seconds between looks when nobody says something moved (pushes, other nodes) */

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE fanout_cursor(space TEXT PRIMARY KEY, commit_hex TEXT NOT NULL, updated INTEGER NOT NULL);"
	  "CREATE TABLE notices(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  space TEXT NOT NULL, commit_hex TEXT NOT NULL, page TEXT NOT NULL, title TEXT NOT NULL, action TEXT NOT NULL,"
	  "  author TEXT NOT NULL, message TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL,"
	  "  digest INTEGER NOT NULL, digested INTEGER NOT NULL DEFAULT 0, UNIQUE(user_id, space, commit_hex, page));"
	  "CREATE INDEX notices_user ON notices(user_id, id);"
	  "CREATE INDEX notices_digest ON notices(digested, digest);"
	  "CREATE TABLE digest_runs(day TEXT PRIMARY KEY, at INTEGER NOT NULL);"
	  "CREATE TABLE fanout_keys(name TEXT PRIMARY KEY, value TEXT NOT NULL);",
	  "CREATE TABLE fanout_cursor(space TEXT PRIMARY KEY, commit_hex TEXT NOT NULL, updated BIGINT NOT NULL);"
	  "CREATE TABLE notices(id BIGSERIAL PRIMARY KEY, user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
	  "  space TEXT NOT NULL, commit_hex TEXT NOT NULL, page TEXT NOT NULL, title TEXT NOT NULL, action TEXT NOT NULL,"
	  "  author TEXT NOT NULL, message TEXT NOT NULL, reason TEXT NOT NULL, at BIGINT NOT NULL,"
	  "  digest INTEGER NOT NULL, digested INTEGER NOT NULL DEFAULT 0, UNIQUE(user_id, space, commit_hex, page));"
	  "CREATE INDEX notices_user ON notices(user_id, id);"
	  "CREATE INDEX notices_digest ON notices(digested, digest);"
	  "CREATE TABLE digest_runs(day TEXT PRIMARY KEY, at BIGINT NOT NULL);"
	  "CREATE TABLE fanout_keys(name TEXT PRIMARY KEY, value TEXT NOT NULL);" },
};

int
fanout_db_init(struct db *db)
{
	return db_migrate(db, "fanout", schema, sizeof(schema) / sizeof(schema[0]));
}

/* ---- text that goes out ---------------------------------------------------------------- */

/* `s` as valid UTF-8 without control bytes (a push may carry any bytes in names and
 * messages; JSON and mail headers take neither): invalid bytes become '?', controls ' ';
 * newlines kept when `lines`. At most `max` bytes, cut on a character boundary. */
static char *
clean_text(struct arena *a, const char *s, size_t max, int lines)
{
	size_t n = s ? strlen(s) : 0, o = 0;
	char *out = arena_alloc(a, (n < max ? n : max) + 1);
	for (size_t i = 0; i < n && o < max;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (len > 1 && i + len <= n && utf8_valid(s + i, len)) {
			if (o + len > max)
				break;
			memcpy(out + o, s + i, len);
			o += len;
			i += len;
			continue;
		}
		if (len == 1 && (c >= 0x20 || (lines && c == '\n')) && c != 0x7f)
			out[o++] = (char)c;
		else
			out[o++] = len == 1 ? ' ' : '?';
		i++;
	}
	out[o] = 0;
	return out;
}

/* The first line of a commit message, cleaned. */
static const char *
first_line(struct arena *a, const char *msg)
{
	size_t n = strcspn(msg ? msg : "", "\n");
	return clean_text(a, arena_strndup(a, msg ? msg : "", n), 200, 0);
}

/* The address of page `name` of `space`: BASE/wiki/NAME or BASE/s/SPACE/wiki/NAME. */
static const char *
page_url(struct arena *a, const char *base, const char *space, const char *prefix, const char *name)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, base);
	if (strcmp(space, SPACE_WIKI) != 0)
		buf_printf(&b, "/s/%s", space);
	buf_puts(&b, prefix);
	url_escape(&b, name, strlen(name), 1);
	char *out = arena_strndup(a, b.ptr, b.len);
	buf_free(&b);
	return out;
}

/* The customer a page is about (front matter, else its folder under Customers/), or NULL. */
static const char *
customer_of(struct arena *a, const struct page_meta *m, const char *name)
{
	if (m->customer && *m->customer)
		return m->customer;
	if (!name || strncmp(name, "Customers/", 10) != 0 || !strchr(name + 10, '/'))
		return NULL;
	char *c = arena_strndup(a, name + 10, (size_t)(strchr(name + 10, '/') - (name + 10)));
	for (char *p = c; *p; p++)
		if (*p == '-')
			*p = ' ';
	return c;
}

/* ---- keys ------------------------------------------------------------------------------- */

static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char unsub_key[crypto_auth_hmacsha256_KEYBYTES];
static int have_key;

/* The unsubscribe key: made once per wiki (every node reads the same one), kept in memory. */
static int
load_key(struct db *db)
{
	int rc = 0;
	pthread_mutex_lock(&key_mu);
	if (have_key)
		goto done;
	char hex[2 * sizeof(unsub_key) + 1];
	unsigned char raw[sizeof(unsub_key)];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	if ((rc = db_exec(db, "INSERT INTO fanout_keys(name, value) VALUES('unsubscribe', $1) ON CONFLICT(name) DO NOTHING",
			  "s", hex)) < 0)
		goto done;
	struct db_res *r = NULL;
	if ((rc = db_query(&r, db, "SELECT value FROM fanout_keys WHERE name = 'unsubscribe'", "")) == 0 &&
	    (rc = db_row(r)) == 1) {
		size_t len = 0;
		rc = sodium_hex2bin(unsub_key, sizeof(unsub_key), db_col_text(r, 0), strlen(db_col_text(r, 0)), NULL, &len,
				    NULL) == 0 && len == sizeof(unsub_key) ? 0 : KN_EIO;
		have_key = rc == 0;
	} else if (rc == 0) {
		rc = KN_EIO;
	}
	db_res_free(r);
done:
	pthread_mutex_unlock(&key_mu);
	return rc < 0 ? rc : 0;
}

int
fanout_unsub_sign(struct db *db, int64_t uid, int64_t wid, char *sig)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char msg[64];
	if (load_key(db) < 0)
		return KN_EIO;
	int n = snprintf(msg, sizeof(msg), "unsubscribe:%lld:%lld", (long long)uid, (long long)wid);
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, (unsigned long long)n, unsub_key);
	sodium_bin2base64(sig, FANOUT_SIG_LEN + 1, mac, sizeof(mac), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int
fanout_unsub_check(struct db *db, int64_t uid, int64_t wid, const char *sig)
{
	char want[FANOUT_SIG_LEN + 1];
	if (!sig || strlen(sig) != FANOUT_SIG_LEN || fanout_unsub_sign(db, uid, wid, want) < 0)
		return KN_EINVAL;
	return sodium_memcmp(want, sig, FANOUT_SIG_LEN) == 0 ? 0 : KN_EINVAL;
}

static const char *
unsub_url(struct arena *a, struct db *db, const char *base, int64_t uid, int64_t wid)
{
	char sig[FANOUT_SIG_LEN + 1];
	if (fanout_unsub_sign(db, uid, wid, sig) < 0)
		return NULL;
	return arena_printf(a, "%s/unsubscribe?u=%lld&w=%lld&s=%s", base, (long long)uid, (long long)wid, sig);
}

/* A stable id for what goes to `to` about one commit of one space. */
static void
stable_id(char *out, size_t n, const char *prefix, int64_t to, const char *space, const char *hex)
{
	unsigned char h[16];
	char msg[128], hexh[33];
	int len = snprintf(msg, sizeof(msg), "%lld:%s:%s", (long long)to, space, hex);
	crypto_generichash(h, sizeof(h), (const unsigned char *)msg, (size_t)len, NULL, 0);
	sodium_bin2hex(hexh, sizeof(hexh), h, sizeof(h));
	snprintf(out, n, "%s_%s", prefix, hexh);
}

/* ---- who follows a commit ---------------------------------------------------------------- */

struct hit {
	int64_t uid, wid;
	int mode, kind;
	const char *value;
	size_t page;
};

struct hits {
	struct hit *v;
	size_t n, cap;
	size_t page;
	struct arena *a;
};

static int
on_follower(const struct watch *w, void *p)
{
	struct hits *h = p;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof(*h->v));
	}
	h->v[h->n++] = (struct hit){ w->user_id, w->id, w->mode, w->kind, arena_strdup(h->a, w->value), h->page };
	return 0;
}

static int
follow(struct db *db, struct hits *h, enum watch_kind kind, const char *value, const char *space)
{
	if (!value || !*value)
		return 0;
	return watch_followers(db, kind, value, space, on_follower, h);
}

static int
follow_list(struct db *db, struct hits *h, enum watch_kind kind, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (follow(db, h, kind, v[i], "") < 0)
			return KN_EIO;
	return 0;
}

static int
collect(struct db *db, struct hits *h, const struct commit_event *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		const struct page_change *p = &ev->pages[i];
		const char *cb = customer_of(h->a, &p->before, p->old_name ? p->old_name : p->name);
		const char *ca = customer_of(h->a, &p->after, p->name);
		h->page = i;
		if (follow(db, h, WATCH_PAGE, p->name, ev->space) < 0 ||
		    (p->old_name && follow(db, h, WATCH_PAGE, p->old_name, ev->space) < 0) ||
		    follow(db, h, WATCH_CUSTOMER, ca, "") < 0 ||
		    (cb && (!ca || strcasecmp(ca, cb) != 0) && follow(db, h, WATCH_CUSTOMER, cb, "") < 0) ||
		    follow_list(db, h, WATCH_TAG, p->after.tags, p->after.ntags) < 0 ||
		    follow_list(db, h, WATCH_TAG, p->before.tags, p->before.ntags) < 0 ||
		    follow_list(db, h, WATCH_DEPT, p->after.depts, p->after.ndepts) < 0 ||
		    follow_list(db, h, WATCH_DEPT, p->before.depts, p->before.ndepts) < 0 ||
		    follow(db, h, WATCH_OWNER, p->after.owner, "") < 0 ||
		    (p->before.owner && (!p->after.owner || strcasecmp(p->before.owner, p->after.owner) != 0) &&
		     follow(db, h, WATCH_OWNER, p->before.owner, "") < 0))
			return KN_EIO;
	}
	return 0;
}

static int
hit_cmp(const void *x, const void *y)
{
	const struct hit *a = x, *b = y;
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	if (a->page != b->page)
		return a->page < b->page ? -1 : 1;
	/* at once before digest, so that a page's first hit says how the user hears of it */
	if (a->mode != b->mode)
		return a->mode < b->mode ? -1 : 1;
	return a->wid < b->wid ? -1 : a->wid > b->wid;
}

/* Did `u` make this commit? Its author's or committer's address is theirs (a web edit
 * signs with the account's address, or NAME@kennis.invalid without one). */
static int
is_author(const struct user *u, git_commit *c)
{
	const git_signature *sigs[2] = { git_commit_author(c), git_commit_committer(c) };
	char inval[AUTH_NAME_MAX + 32];
	snprintf(inval, sizeof(inval), "%s@kennis.invalid", u->name);
	for (int i = 0; i < 2; i++) {
		const char *e = sigs[i] && sigs[i]->email ? sigs[i]->email : "";
		if ((*u->email && strcasecmp(e, u->email) == 0) || strcasecmp(e, inval) == 0)
			return 1;
	}
	return 0;
}

/* Can user `u` read space `sp` now? */
static int
user_may_read(struct db *db, const struct user *u, const struct space *sp, struct arena *a)
{
	struct viewer v = { u, (int)u->role, { 0 }, 0 };
	if (viewer_load_groups(db, &v, a) < 0)
		return 0;
	return space_may_read(sp, &v);
}

/* ---- what goes out ------------------------------------------------------------------------ */

static json_t *
str_array(const char *const *v, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(v[i]));
	return arr;
}

/* Does endpoint `ep` want page change `p`? (its events and its filters) */
static int
ep_wants(const struct webhook_ep *ep, const struct page_change *p)
{
	char type[32];
	snprintf(type, sizeof(type), "page.%s", events_action_name(p->action));
	return webhook_wants(ep->events, type) && (!ep->customer[0] || events_touches(p, 0, ep->customer)) &&
	       (!ep->tag[0] || events_touches(p, 1, ep->tag)) && (!ep->department[0] || events_touches(p, 2, ep->department));
}

/* The webhook body for `ep` (NULL when it wants none of the commit's pages). Standard
 * Webhooks' shape: {"type", "timestamp", "data"}. */
static char *
webhook_body(const struct webhook_ep *ep, const struct commit_event *ev, const char *base, int64_t now,
	     struct arena *a)
{
	json_t *pages = json_array();
	char action = 0;
	int mixed = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct page_change *p = &ev->pages[i];
		if (!ep_wants(ep, p))
			continue;
		const struct page_meta *m = p->action == 'd' ? &p->before : &p->after;
		const char *cust = customer_of(a, m, p->name);
		mixed |= action && action != p->action;
		action = p->action;
		/* GitHub's gollum event's fields, and ours */
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s?, s:o, s:o, s:s?, s:i, s:i}", "page_name",
				      clean_text(a, p->name, 1024, 0), "title", clean_text(a, p->title, 256, 0), "action",
				      events_action_name(p->action), "sha", p->sha, "html_url",
				      page_url(a, base, ev->space, "/wiki/", p->name), "old_page_name",
				      p->old_name ? clean_text(a, p->old_name, 1024, 0) : NULL, "customer",
				      cust ? clean_text(a, cust, 200, 0) : NULL, "departments", str_array(m->depts, m->ndepts),
				      "tags", str_array(m->tags, m->ntags), "owner", m->owner, "lines_added", p->added,
				      "lines_removed", p->removed);
		if (o)
			json_array_append_new(pages, o);
	}
	if (json_array_size(pages) == 0) {
		json_decref(pages);
		return NULL;
	}
	char type[32], ts[32];
	snprintf(type, sizeof(type), "page.%s", mixed ? "changed" : events_action_name(action));
	time_t t = (time_t)now;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s, s:s}, s:s, s:o, s:i}}", "type", type, "timestamp", ts,
				 "data", "space", ev->space, "commit", ev->hex, "author", "name",
				 clean_text(a, ev->author, 128, 0), "email", clean_text(a, ev->email, 128, 0), "message",
				 clean_text(a, ev->message, 4096, 1), "pages", pages, "more_pages", (json_int_t)ev->more);
	char *out = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	return out;
}

/* The pages of one commit that one user hears of. */
struct mine {
	size_t page;
	const struct hit *why; /* the first watch that matched (at once, if any did) */
};

static const char *
reason(struct arena *a, const struct hit *h)
{
	return clean_text(a, arena_printf(a, "%s %s", watch_kind_name((enum watch_kind)h->kind), h->value), 250, 0);
}

static void
mail_line(struct buf *text, struct buf *html, struct arena *a, const struct commit_event *ev,
	  const struct page_change *p, const struct hit *why, const char *base)
{
	const char *title = clean_text(a, p->title, 200, 0), *name = clean_text(a, p->name, 1024, 0);
	const char *url = page_url(a, base, ev->space, p->action == 'd' ? "/history/" : "/wiki/", p->name);
	const char *diff = arena_printf(a, "%s?to=%s", page_url(a, base, ev->space, "/diff/", p->name), ev->hex);
	buf_printf(text, "* %s (%s): %s", title, name, events_action_name(p->action));
	if (p->old_name)
		buf_printf(text, " from %s", clean_text(a, p->old_name, 1024, 0));
	buf_printf(text, ", +%d -%d lines\n  %s\n  changes: %s\n  because you watch %s\n", p->added, p->removed, url,
		   diff, reason(a, why));
	buf_puts(html, "<li><a href=\"");
	html_puts(html, url);
	buf_puts(html, "\">");
	html_puts(html, title);
	buf_puts(html, "</a> ");
	html_puts(html, events_action_name(p->action));
	buf_printf(html, " (+%d &minus;%d, <a href=\"", p->added, p->removed);
	html_puts(html, diff);
	buf_puts(html, "\">changes</a>)<br><small>because you watch ");
	html_puts(html, reason(a, why));
	buf_puts(html, "</small></li>\n");
}

/* The mail to `u` about the pages of `ev` it follows at once. */
static char *
mail_body(struct db *db, const struct user *u, const struct commit_event *ev, const struct mine *m, size_t n,
	  const struct space *sp, const char *base, struct arena *a)
{
	struct buf text = BUF_INIT, html = BUF_INIT;
	const struct page_change *first = &ev->pages[m[0].page];
	const char *who = clean_text(a, ev->author, 100, 0);
	const char *msg = first_line(a, ev->message);
	const struct page_meta *fm = first->action == 'd' ? &first->before : &first->after;
	const char *cust = customer_of(a, fm, first->name);
	char subject[400];
	snprintf(subject, sizeof(subject), "%s%s%s%s %s by %s", cust ? "[" : "", cust ? clean_text(a, cust, 80, 0) : "",
		 cust ? "] " : "", clean_text(a, first->title, 120, 0), events_action_name(first->action), who);
	if (n > 1)
		snprintf(subject + strlen(subject), sizeof(subject) - strlen(subject), " (and %zu more)", n - 1);
	const char *space_note =
		strcmp(ev->space, SPACE_WIKI) != 0 ? arena_printf(a, " in space %s", ev->space) : "";
	buf_printf(&text, "%s changed %zu page%s you watch%s:\n\n", who, n, n == 1 ? "" : "s", space_note);
	buf_puts(&html, "<p>");
	html_puts(&html, who);
	buf_printf(&html, " changed %zu page%s you watch", n, n == 1 ? "" : "s");
	html_puts(&html, space_note);
	buf_puts(&html, ":</p>\n<ul>\n");
	for (size_t i = 0; i < n; i++)
		mail_line(&text, &html, a, ev, &ev->pages[m[i].page], m[i].why, base);
	buf_printf(&text, "\n\"%s\"\n", msg);
	buf_puts(&html, "</ul>\n<p>&ldquo;");
	html_puts(&html, msg);
	buf_puts(&html, "&rdquo;</p>\n");
	const char *unsub = unsub_url(a, db, base, u->id, m[0].why->wid);
	const char *manage = arena_printf(a, "%s/watching", base);
	buf_printf(&text, "\n-- \nWhat you watch: %s\nStop watching %s: %s\n", manage, reason(a, m[0].why),
		   unsub ? unsub : manage);
	buf_puts(&html, "<hr><p><small><a href=\"");
	html_puts(&html, manage);
	buf_puts(&html, "\">What you watch</a> &middot; <a href=\"");
	html_puts(&html, unsub ? unsub : manage);
	buf_puts(&html, "\">Stop watching ");
	html_puts(&html, reason(a, m[0].why));
	buf_puts(&html, "</a></small></p>\n");
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "to", u->email, "subject", clean_text(a, subject, 300, 0),
			      "text", buf_cstr(&text), "html", buf_cstr(&html), "unsubscribe", unsub);
	char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	buf_free(&text);
	buf_free(&html);
	(void)sp;
	return out;
}

/* ---- one commit ----------------------------------------------------------------------------- */

struct pass {
	struct db *db;
	const struct fanout_settings *s;
	struct webhook_ep *eps;
	size_t neps;
	int64_t now;
	int queued;
};

/* Queue the notices and the mail of user group h[0..n) (one user, sorted by page). */
static int
queue_user(struct pass *ps, const struct space *sp, const struct commit_event *ev, git_commit *c, const struct hit *h,
	   size_t n, struct arena *a)
{
	struct user u;
	int rc = auth_user_get_id(ps->db, h[0].uid, &u);
	if (rc == KN_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (is_author(&u, c) || !user_may_read(ps->db, &u, sp, a))
		return 0;
	struct mine *now = arena_alloc(a, n * sizeof(*now) + 1);
	size_t nnow = 0;
	const char *msg = first_line(a, ev->message);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && h[i].page == h[i - 1].page)
			continue;
		const struct page_change *p = &ev->pages[h[i].page];
		int digest = h[i].mode == WATCH_DIGEST; /* sorted: at once first */
		rc = db_exec(ps->db,
			     "INSERT INTO notices(user_id, space, commit_hex, page, title, action, author, message, reason, at,"
			     " digest) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
			     "ON CONFLICT(user_id, space, commit_hex, page) DO NOTHING",
			     "issssssssii", u.id, ev->space, ev->hex, clean_text(a, p->name, 1024, 0),
			     clean_text(a, p->title, 250, 0), events_action_name(p->action), clean_text(a, ev->author, 120, 0),
			     msg, reason(a, &h[i]), ps->now, (int64_t)digest);
		if (rc < 0)
			return rc;
		if (!digest)
			now[nnow++] = (struct mine){ h[i].page, &h[i] };
	}
	if (nnow == 0 || !ps->s->mail || !*u.email || mail_address_check(u.email) < 0)
		return 0;
	char *body = mail_body(ps->db, &u, ev, now, nnow, sp, ps->s->base_url, a);
	if (!body)
		return 0;
	char id[OUTBOX_ID_MAX + 1];
	stable_id(id, sizeof(id), "mail", u.id, ev->space, ev->hex);
	rc = outbox_add(ps->db, id, OUTBOX_MAIL, u.id, body, ps->now);
	free(body);
	ps->queued += rc == 0;
	return rc;
}

/* Announce commit `oid` of space `sp`, moving its cursor from `prev`: 1 done, 0 another node
 * did it first (stop), or an error (try again later). */
static int
announce(struct pass *ps, const struct space *sp, struct store *st, const git_oid *oid, const char *prev)
{
	struct arena *a = arena_new();
	struct commit_event ev;
	struct hits h = { NULL, 0, 0, 0, a };
	git_commit *c = NULL;
	int rc = KN_EIO, began = 0;
	memset(&ev, 0, sizeof(ev));
	if (git_commit_lookup(&c, st->repo, oid) < 0 || events_of_commit(&ev, st, sp->name, c, a) < 0)
		goto done;
	if (collect(ps->db, &h, &ev) < 0)
		goto done;
	if (h.n) /* qsort of NULL, 0 is undefined (UBSan stops the server) */
		qsort(h.v, h.n, sizeof(*h.v), hit_cmp);
	if ((rc = db_begin(ps->db)) < 0)
		goto done;
	began = 1;
	for (size_t i = 0; i < ps->neps && ev.n; i++) {
		const struct webhook_ep *ep = &ps->eps[i];
		if (ep->space[0] ? strcmp(ep->space, sp->name) != 0 : !space_acl_is_all(sp->read))
			continue;
		char *body = webhook_body(ep, &ev, ps->s->base_url, ps->now, a);
		if (!body)
			continue;
		char id[OUTBOX_ID_MAX + 1];
		stable_id(id, sizeof(id), "evt", ep->id, sp->name, ev.hex);
		rc = outbox_add(ps->db, id, OUTBOX_WEBHOOK, ep->id, body, ps->now);
		free(body);
		if (rc < 0)
			goto done;
		ps->queued++;
	}
	for (size_t i = 0, j; i < h.n; i = j) {
		for (j = i + 1; j < h.n && h.v[j].uid == h.v[i].uid; j++)
			;
		if ((rc = queue_user(ps, sp, &ev, c, &h.v[i], j - i, a)) < 0)
			goto done;
	}
	rc = db_exec(ps->db, "UPDATE fanout_cursor SET commit_hex = $1, updated = $2 WHERE space = $3 AND commit_hex = $4",
		     "siss", ev.hex, ps->now, sp->name, prev);
	if (rc < 0)
		goto done;
	if (rc == 0) {
		db_rollback(ps->db);
		began = 0;
		goto done;
	}
	rc = db_commit(ps->db);
	began = 0;
	rc = rc < 0 ? rc : 1;
done:
	if (began)
		db_rollback(ps->db);
	if (rc < 0)
		log_warn("fanout: space %s, commit %s: not announced yet (%s); will try again", sp->name,
			 ev.hex[0] ? ev.hex : "?", kn_strerror(rc));
	git_commit_free(c);
	free(h.v);
	arena_free(a);
	return rc;
}

static int
set_cursor(struct db *db, const char *space, const char *hex, int64_t now)
{
	return db_exec(db,
		       "INSERT INTO fanout_cursor(space, commit_hex, updated) VALUES($1, $2, $3) ON CONFLICT(space) "
		       "DO UPDATE SET commit_hex = excluded.commit_hex, updated = excluded.updated",
		       "ssi", space, hex, now);
}

/* Bring space `sp` up to its main. Returns commits announced, or an error. */
static int
fanout_space(struct pass *ps, const struct space *sp)
{
	char gitdir[4096], prev[GIT_OID_HEXSZ + 1], head_hex[GIT_OID_HEXSZ + 1];
	git_oid head, cur;
	git_revwalk *walk = NULL;
	git_oid *todo = NULL;
	size_t ntodo = 0;
	int rc = 0, done = 0;
	int64_t max = ps->s->behind_max > 0 ? ps->s->behind_max : FANOUT_BEHIND_MAX;
	space_gitdir(gitdir, sizeof(gitdir), ps->s->data_dir, sp->name);
	struct store *st = repos_get(gitdir);
	if (!st || git_reference_name_to_id(&head, st->repo, "refs/heads/main") < 0)
		return 0; /* no repository yet, or an empty one */
	git_oid_tostr(head_hex, sizeof(head_hex), &head);
	struct db_res *r = NULL;
	if ((rc = db_query(&r, ps->db, "SELECT commit_hex FROM fanout_cursor WHERE space = $1", "s", sp->name)) < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1)
		snprintf(prev, sizeof(prev), "%s", db_col_text(r, 0));
	db_res_free(r);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		/* First sight of this space: what is there now was never news to anyone. */
		return db_exec(ps->db,
			       "INSERT INTO fanout_cursor(space, commit_hex, updated) VALUES($1, $2, $3) "
			       "ON CONFLICT(space) DO NOTHING",
			       "ssi", sp->name, head_hex, ps->now) < 0 ? KN_EIO : 0;
	}
	if (strcmp(prev, head_hex) == 0)
		return 0;
	git_object *known = NULL;
	if (git_oid_fromstr(&cur, prev) < 0 || git_object_lookup(&known, st->repo, &cur, GIT_OBJECT_COMMIT) < 0)
		return 0; /* a commit this node does not have yet: another node is ahead and announces */
	git_object_free(known);
	if (git_graph_descendant_of(st->repo, &head, &cur) != 1) {
		if (git_graph_descendant_of(st->repo, &cur, &head) == 1)
			return 0; /* this node is behind */
		log_warn("fanout: space %s: main (%s) does not descend from the last announced commit %s (history was "
			 "rewritten); going on from main",
			 sp->name, head_hex, prev);
		return set_cursor(ps->db, sp->name, head_hex, ps->now) < 0 ? KN_EIO : 0;
	}
	if (git_revwalk_new(&walk, st->repo) < 0 || git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_simplify_first_parent(walk) < 0 || git_revwalk_push(walk, &head) < 0 ||
	    git_revwalk_hide(walk, &cur) < 0) {
		store_log_git_error("fanout: walk", sp->name);
		rc = KN_EGIT;
		goto out;
	}
	git_oid oid;
	size_t cap = 0;
	while (git_revwalk_next(&oid, walk) == 0) {
		if ((int64_t)ntodo > max)
			break;
		if (ntodo == cap) {
			cap = cap ? 2 * cap : 16;
			todo = xrealloc(todo, cap * sizeof(*todo));
		}
		todo[ntodo++] = oid;
	}
	if ((int64_t)ntodo > max) {
		log_warn("fanout: space %s: more than %lld commits since the last announced one (an import?): going on "
			 "from main (%s) without announcing them",
			 sp->name, (long long)max, head_hex);
		rc = set_cursor(ps->db, sp->name, head_hex, ps->now) < 0 ? KN_EIO : 0;
		goto out;
	}
	for (size_t i = 0; i < ntodo; i++) {
		rc = announce(ps, sp, st, &todo[i], prev);
		if (rc <= 0)
			break;
		done++;
		git_oid_tostr(prev, sizeof(prev), &todo[i]);
	}
	rc = rc < 0 ? rc : done;
out:
	free(todo);
	git_revwalk_free(walk);
	return rc;
}

int
fanout_pass(struct db *db, const struct fanout_settings *s, int64_t now)
{
	struct space *sps = NULL;
	size_t nsp = 0;
	struct pass ps = { db, s, NULL, 0, now, 0 };
	int total = 0, rc;
	if (space_list(db, &sps, &nsp) < 0 || webhook_ep_list(db, &ps.eps, &ps.neps) < 0) {
		free(sps);
		return KN_EIO;
	}
	repos_request_begin();
	for (size_t i = 0; i < nsp; i++) {
		rc = fanout_space(&ps, &sps[i]);
		if (rc > 0)
			total += rc;
	}
	free(sps);
	free(ps.eps);
	if (ps.queued)
		notify_wake();
	return total;
}

/* ---- notices and digests ----------------------------------------------------------------- */

static void
fill_notice(struct db_res *r, struct notice *n)
{
	n->id = db_col_int(r, 0);
	snprintf(n->space, sizeof(n->space), "%s", db_col_text(r, 1));
	snprintf(n->commit, sizeof(n->commit), "%s", db_col_text(r, 2));
	snprintf(n->page, sizeof(n->page), "%s", db_col_text(r, 3));
	snprintf(n->title, sizeof(n->title), "%s", db_col_text(r, 4));
	snprintf(n->action, sizeof(n->action), "%s", db_col_text(r, 5));
	snprintf(n->author, sizeof(n->author), "%s", db_col_text(r, 6));
	snprintf(n->message, sizeof(n->message), "%s", db_col_text(r, 7));
	snprintf(n->reason, sizeof(n->reason), "%s", db_col_text(r, 8));
	n->at = db_col_int(r, 9);
}

#define NOTICE_COLS "id, space, commit_hex, page, title, action, author, message, reason, at"

int
notice_list(struct db *db, int64_t uid, int64_t before, size_t max, int (*cb)(const struct notice *n, void *payload),
	    void *payload)
{
	struct db_res *r = NULL;
	struct notice n;
	int rc = db_query(&r, db,
			  "SELECT " NOTICE_COLS " FROM notices WHERE user_id = $1 AND ($2 = 0 OR id < $2) "
			  "ORDER BY id DESC LIMIT $3",
			  "iii", uid, before, (int64_t)max);
	while (rc == 0 && (rc = db_row(r)) == 1) {
		fill_notice(r, &n);
		rc = cb(&n, payload);
	}
	db_res_free(r);
	return rc < 0 ? rc : 0;
}

static const struct space *
find_space(const struct space *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	return NULL;
}

/* The digest of user `uid`: its waiting notices (those of spaces it may still read), one
 * mail; all of them marked sent in the same transaction. */
static int
digest_user(struct db *db, const struct fanout_settings *s, int64_t uid, const struct space *sps, size_t nsp,
	    const char *day, int64_t now, int force)
{
	struct arena *a = arena_new();
	struct user u;
	struct buf text = BUF_INIT, html = BUF_INIT;
	struct db_res *r = NULL;
	struct notice n;
	int rc, shown = 0, more = 0, began = 0;
	int64_t last = 0;
	if ((rc = auth_user_get_id(db, uid, &u)) < 0)
		goto done;
	struct viewer v = { &u, (int)u.role, { 0 }, 0 };
	if ((rc = viewer_load_groups(db, &v, a)) < 0)
		goto done;
	if ((rc = db_query(&r, db,
			   "SELECT " NOTICE_COLS " FROM notices WHERE user_id = $1 AND digest = 1 AND digested = 0 "
			   "ORDER BY id",
			   "i", uid)) < 0)
		goto done;
	buf_puts(&html, "<ul>\n");
	while ((rc = db_row(r)) == 1) {
		fill_notice(r, &n);
		last = n.id;
		const struct space *sp = find_space(sps, nsp, n.space);
		if (!sp || !space_may_read(sp, &v))
			continue;
		if (shown == DIGEST_ITEMS_MAX) {
			more++;
			continue;
		}
		shown++;
		const char *url = page_url(a, s->base_url, n.space, strcmp(n.action, "deleted") == 0 ? "/history/" : "/wiki/",
					   n.page);
		buf_printf(&text, "* %s%s%s: %s by %s\n  %s\n  because you watch %s\n", strcmp(n.space, SPACE_WIKI) ? "[" : "",
			   strcmp(n.space, SPACE_WIKI) ? arena_printf(a, "%s] ", n.space) : "", n.title, n.action, n.author,
			   url, n.reason);
		buf_puts(&html, "<li><a href=\"");
		html_puts(&html, url);
		buf_puts(&html, "\">");
		html_puts(&html, n.title);
		buf_puts(&html, "</a> ");
		html_puts(&html, n.action);
		buf_puts(&html, " by ");
		html_puts(&html, n.author);
		buf_puts(&html, "<br><small>because you watch ");
		html_puts(&html, n.reason);
		buf_puts(&html, "</small></li>\n");
	}
	db_res_free(r);
	r = NULL;
	if (rc < 0)
		goto done;
	if ((rc = db_begin(db)) < 0)
		goto done;
	began = 1;
	if (shown && *u.email && mail_address_check(u.email) == 0) {
		const char *unsub = unsub_url(a, db, s->base_url, u.id, 0);
		const char *manage = arena_printf(a, "%s/watching", s->base_url);
		if (more)
			buf_printf(&text, "... and %d more\n", more);
		buf_printf(&text, "\n-- \nWhat you watch: %s\nNo more digests: %s\n", manage, unsub ? unsub : manage);
		buf_printf(&html, "</ul>\n%s<hr><p><small><a href=\"", more ? arena_printf(a, "<p>and %d more</p>", more) : "");
		html_puts(&html, manage);
		buf_puts(&html, "\">What you watch</a> &middot; <a href=\"");
		html_puts(&html, unsub ? unsub : manage);
		buf_puts(&html, "\">No more digests</a></small></p>\n");
		const char *subject = arena_printf(a, "Your kennis digest for %s: %d change%s", day, shown + more,
						   shown + more == 1 ? "" : "s");
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "to", u.email, "subject", subject, "text", buf_cstr(&text),
				      "html", buf_cstr(&html), "unsubscribe", unsub);
		char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
		json_decref(j);
		char id[OUTBOX_ID_MAX + 1];
		if (force)
			snprintf(id, sizeof(id), "dig_%s_%lld_%lld", day, (long long)uid, (long long)now);
		else
			snprintf(id, sizeof(id), "dig_%s_%lld", day, (long long)uid);
		rc = body ? outbox_add(db, id, OUTBOX_MAIL, uid, body, now) : KN_EIO;
		free(body);
		if (rc < 0)
			goto done;
		rc = 1;
	} else {
		rc = 0;
	}
	if (db_exec(db, "UPDATE notices SET digested = 1 WHERE user_id = $1 AND digest = 1 AND digested = 0 AND id <= $2",
		    "ii", uid, last) < 0 ||
	    db_commit(db) < 0) {
		rc = KN_EIO;
		goto done;
	}
	began = 0;
done:
	if (began)
		db_rollback(db);
	db_res_free(r);
	buf_free(&text);
	buf_free(&html);
	arena_free(a);
	return rc;
}

int
fanout_digest(struct db *db, const struct fanout_settings *s, int64_t now, int force)
{
	char day[16];
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	if (!force) {
		if (!s->mail || s->digest_minute < 0 || tm.tm_hour * 60 + tm.tm_min < s->digest_minute)
			return 0;
		/* one node, once a day: the first to write the day's row sends */
		int rc = db_exec(db, "INSERT INTO digest_runs(day, at) VALUES($1, $2) ON CONFLICT(day) DO NOTHING", "si", day,
				 now);
		if (rc <= 0)
			return rc < 0 ? rc : 0;
	}
	struct space *sps = NULL;
	size_t nsp = 0;
	struct db_res *r = NULL;
	int64_t *uids = NULL;
	size_t nu = 0, cap = 0;
	int rc = space_list(db, &sps, &nsp);
	if (rc == 0)
		rc = db_query(&r, db, "SELECT DISTINCT user_id FROM notices WHERE digested = 0 AND digest = 1 ORDER BY user_id", "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		rc = 0;
		if (nu == cap) {
			cap = cap ? 2 * cap : 32;
			uids = xrealloc(uids, cap * sizeof(*uids));
		}
		uids[nu++] = db_col_int(r, 0);
	}
	db_res_free(r);
	int sent = 0;
	for (size_t i = 0; rc >= 0 && i < nu; i++) {
		int one = digest_user(db, s, uids[i], sps, nsp, day, now, force);
		if (one < 0)
			log_warn("digest %s: user %lld: not queued (%s)", day, (long long)uids[i], kn_strerror(one));
		else
			sent += one;
	}
	free(uids);
	free(sps);
	if (rc < 0)
		return rc;
	if (sent)
		notify_wake();
	log_info("digest %s: %d mail%s queued", day, sent, sent == 1 ? "" : "s");
	return sent;
}

void
fanout_base_url(struct db *db, char *out, size_t n)
{
	struct db_res *r = NULL;
	snprintf(out, n, "http://localhost:8080");
	if (db_query(&r, db, "SELECT value FROM fanout_keys WHERE name = 'base_url'", "") == 0 && db_row(r) == 1)
		snprintf(out, n, "%s", db_col_text(r, 0));
	db_res_free(r);
}

/* ---- the thread -------------------------------------------------------------------------- */

static struct fanout_settings settings;
static pthread_t thread;
static int running;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stopping, pokes;

static void
idle(int64_t seconds)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&mu);
	while (!stopping && !pokes)
		if (pthread_cond_timedwait(&cond, &mu, &until) == ETIMEDOUT)
			break;
	pokes = 0;
	pthread_mutex_unlock(&mu);
}

static int
is_stopping(void)
{
	pthread_mutex_lock(&mu);
	int s = stopping;
	pthread_mutex_unlock(&mu);
	return s;
}

static void *
run(void *arg)
{
	struct db *db = NULL;
	int64_t last_digest = 0, last_prune = 0;
	(void)arg;
	while (!is_stopping()) {
		int64_t now = (int64_t)time(NULL);
		if (!db) {
			if (state_open(&db, settings.data_dir, settings.db_url) < 0) {
				log_error("fanout: the state database does not open; notices wait");
				idle(5);
				continue;
			}
			db_exec(db,
				"INSERT INTO fanout_keys(name, value) VALUES('base_url', $1) ON CONFLICT(name) "
				"DO UPDATE SET value = excluded.value",
				"s", settings.base_url);
		}
		if (fanout_pass(db, &settings, now) < 0)
			log_warn("fanout: a pass failed; trying again in %d s", POLL);
		if (now - last_digest >= 30) {
			last_digest = now;
			fanout_digest(db, &settings, now, 0);
		}
		if (now - last_prune >= 3600) {
			last_prune = now;
			db_exec(db, "DELETE FROM notices WHERE at < $1", "i", now - (int64_t)NOTICE_KEEP_DAYS * 86400);
			outbox_prune(db, now, 30);
		}
		idle(POLL);
	}
	repos_release();
	db_close(db);
	return NULL;
}

int
fanout_start(const struct fanout_settings *s)
{
	settings = *s;
	stopping = 0;
	if (pthread_create(&thread, NULL, run, NULL) != 0) {
		log_error("fanout: cannot start its thread: %s", strerror(errno));
		return KN_EIO;
	}
	running = 1;
	return 0;
}

void
fanout_wake(void)
{
	pthread_mutex_lock(&mu);
	pokes = 1;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&mu);
}

void
fanout_stop(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	running = 0;
}
