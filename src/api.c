/* api.c: the JSON API v1 (/api/v1/): pages, their history, search, customers, recent changes and watches, through the web's own code; JSON by jansson. */
#include "api.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "assets.h"
#include "cache.h"
#include "index.h"
#include "manage.h"
#include "page.h"
#include "pagename.h"
#include "reqspace.h"
#include "search.h"
#include "ui.h"
#include "watches.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 100    /* items of one answer */
#define TEXT_MAX 2000    /* bytes of a message */

/* ---- errors ---------------------------------------------------------------------------- */

const char *
api_error_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 401: return "unauthorized";
	case 403: return "forbidden";
	case 404: return "not_found";
	case 405: return "method_not_allowed";
	case 409: return "conflict";
	case 413: return "too_large";
	case 415: return "unsupported_media_type";
	case 429: return "too_many_requests";
	case 502: return "bad_gateway";
	case 503: return "unavailable";
	default: return "internal";
	}
}

/* The answer is in r->out: say it is JSON, not to be stored (it may be a user's own). */
static int
replied(struct req *r, int rc)
{
	r->content_type = "application/json";
	resp_header(r, "Cache-Control", "no-store");
	return rc;
}

/* `doc` as r's answer (compact JSON), then freed; returns `rc`. */
static int
reply(struct req *r, json_t *doc, int rc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		abort(); /* every string in a document is UTF-8 (jstr): only memory can fail */
	buf_reset(&r->out);
	buf_puts(&r->out, text);
	free(text);
	json_decref(doc);
	return replied(r, rc);
}

/* {"error": {"code", "message"}} and, when `extra` is given, its members beside "error". */
static void
error_doc(struct req *r, int err, const char *message, json_t *extra)
{
	int status = router_status(err);
	json_t *doc = json_object();
	json_object_set_new(doc, "error", json_pack("{s:s, s:s}", "code", api_error_code(status), "message",
						    message && utf8_valid(message, strlen(message)) ? message : kn_strerror(err)));
	if (extra) {
		json_object_update(doc, extra);
		json_decref(extra);
	}
	reply(r, doc, err);
	r->status = status;
	r->own_page = 1;
	if (status == 401)
		resp_header(r, "WWW-Authenticate", "Bearer realm=\"kennis\"");
	if (status == 503)
		resp_header(r, "Retry-After", "5");
}

void
api_error_body(struct req *r, int err, const char *message)
{
	error_doc(r, err, message, NULL);
}

/* Answer `err` with `fmt` as the message, and a log line with the request. */
__attribute__((format(printf, 3, 4))) static int
fail(struct req *r, int err, const char *fmt, ...)
{
	struct buf m = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&m, fmt, ap);
	va_end(ap);
	int status = router_status(err);
	kn_log(status >= 500 ? LOG_ERROR : LOG_WARN, "api %s %s from %s (%s): %d %s: %s", r->method, r->path, r->remote,
	       r->user ? r->user->name : "anonymous", status, api_error_code(status), buf_cstr(&m));
	error_doc(r, err, buf_cstr(&m), NULL);
	buf_free(&m);
	return err;
}

/* ---- JSON values --------------------------------------------------------------------------- */

/* A JSON string of [s, s+n): text from git or the index is usually UTF-8, but a push may
 * bring any bytes; those become U+FFFD rather than a failed answer. */
static json_t *
jstrn(const char *s, size_t n)
{
	if (!s)
		return json_null();
	json_t *j = json_stringn(s, n);
	if (j)
		return j;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < n;) {
		size_t len = 1;
		unsigned char c = (unsigned char)s[i];
		if (c >= 0xc0)
			len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (i + len <= n && utf8_valid(s + i, len)) {
			buf_put(&b, s + i, len);
			i += len;
		} else {
			buf_puts(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	j = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return j ? j : json_string("");
}

static json_t *
jstr(const char *s)
{
	return s ? jstrn(s, strlen(s)) : json_null();
}

/* Seconds since the epoch as RFC 3339 in UTC; null for 0 (unknown). */
static json_t *
jtime(int64_t t)
{
	char out[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0)
		return json_null();
	gmtime_r(&tt, &tm);
	strftime(out, sizeof(out), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(out);
}

/* ---- cursors, limits, bodies --------------------------------------------------------------- */

int
api_cursor_encode(char *out, size_t n, char kind, const char *value)
{
	char raw[API_CURSOR_MAX + 3];
	size_t len = strlen(value);
	if (len > API_CURSOR_MAX || n < sodium_base64_ENCODED_LEN(len + 2, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return KN_ETOOBIG;
	raw[0] = kind;
	raw[1] = ':';
	memcpy(raw + 2, value, len);
	sodium_bin2base64(out, n, (const unsigned char *)raw, len + 2, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int
api_cursor_decode(char *value, size_t n, char kind, const char *cursor)
{
	unsigned char raw[API_CURSOR_MAX + 3];
	size_t len = 0, clen = cursor ? strlen(cursor) : 0;
	if (clen == 0 || clen > sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
	    sodium_base642bin(raw, sizeof(raw), cursor, clen, NULL, &len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return KN_EINVAL;
	if (len < 3 || raw[0] != (unsigned char)kind || raw[1] != ':' || len - 2 >= n || memchr(raw + 2, 0, len - 2))
		return KN_EINVAL;
	memcpy(value, raw + 2, len - 2);
	value[len - 2] = '\0';
	return 0;
}

int
api_json_depth(const char *s, size_t n, int max)
{
	int depth = 0, deepest = 0, in_string = 0;
	for (size_t i = 0; i < n && deepest <= max; i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest)
				deepest = depth;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return deepest > max ? max + 1 : deepest;
}

/* ?limit= (1..max, `def` when absent) into *out; else the answer (400). */
static int
limit_param(struct req *r, size_t def, size_t max, size_t *out)
{
	const char *l = req_query(r, "limit");
	char *end;
	*out = def;
	if (!l)
		return 0;
	long v = strtol(l, &end, 10);
	if (!*l || *end || v < 1 || (size_t)v > max)
		return fail(r, KN_EINVAL, "limit: a whole number from 1 to %zu", max);
	*out = (size_t)v;
	return 0;
}

/* ?cursor= of list `kind` as a number (an offset or an id) up to `max`; 0 when absent. */
static int
cursor_number(struct req *r, char kind, long long max, long long *out)
{
	char v[API_CURSOR_MAX + 1], *end;
	const char *c = req_query(r, "cursor");
	*out = 0;
	if (!c)
		return 0;
	if (api_cursor_decode(v, sizeof(v), kind, c) < 0 || (*out = strtoll(v, &end, 10)) < 0 || *end || *out > max)
		return fail(r, KN_EINVAL, "cursor: not one this list gave");
	return 0;
}

/* Set "next_cursor" of `doc`: list `kind` goes on from `value`, or null when it ends. */
static void
set_cursor(json_t *doc, char kind, const char *value)
{
	char c[2 * API_CURSOR_MAX];
	json_object_set_new(doc, "next_cursor",
			    value && api_cursor_encode(c, sizeof(c), kind, value) == 0 ? json_string(c) : json_null());
}

static void
set_cursor_number(json_t *doc, char kind, int more, long long next)
{
	char v[32];
	snprintf(v, sizeof(v), "%lld", next);
	set_cursor(doc, kind, more ? v : NULL);
}

/* The request's body as a JSON object into *out (caller decrefs), checked: JSON only (415),
 * not nested deeper than API_JSON_DEPTH, valid UTF-8, no key twice, an object. `optional`:
 * an empty body is an empty object. Else the answer (4xx, logged). */
static int
body_object(struct req *r, json_t **out, int optional)
{
	const char *ct = req_header(r, "Content-Type");
	json_error_t err;
	*out = NULL;
	if (r->body_len == 0 && optional) {
		*out = json_object();
		return 0;
	}
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' '))
		return fail(r, KN_EMEDIATYPE, "the body must be JSON (Content-Type: application/json), not %.60s",
			    ct ? ct : "untyped");
	if (r->body_len == 0)
		return fail(r, KN_EINVAL, "the body is empty: a JSON object is needed");
	if (api_json_depth(r->body, r->body_len, API_JSON_DEPTH) > API_JSON_DEPTH)
		return fail(r, KN_EINVAL, "the body nests arrays and objects deeper than %d", API_JSON_DEPTH);
	json_t *doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		return fail(r, KN_EINVAL, "the body is not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return fail(r, KN_EINVAL, "the body must be a JSON object");
	}
	*out = doc;
	return 0;
}

/* Refuse members of `o` not in `known` (NULL-terminated): a typo must not be ignored. */
static int
only_fields(struct req *r, json_t *o, const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v) {
		size_t i;
		for (i = 0; known[i] && strcmp(known[i], key) != 0; i++)
			;
		if (!known[i])
			return fail(r, KN_EINVAL, "%.60s: no such field here", key);
	}
	return 0;
}

/* String member `key` of `o` into *out (NULL when absent or null; `required`: 400 then).
 * Not a string, or one with a NUL byte, or over `max` bytes: the answer, naming the field. */
static int
field_string(struct req *r, json_t *o, const char *key, int required, size_t max, const char **out)
{
	json_t *v = json_object_get(o, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return required ? fail(r, KN_EINVAL, "%s: missing", key) : 0;
	if (!json_is_string(v))
		return fail(r, KN_EINVAL, "%s: a string is needed", key);
	size_t n = json_string_length(v);
	const char *s = json_string_value(v);
	if (memchr(s, 0, n))
		return fail(r, KN_EINVAL, "%s: may not hold NUL bytes", key);
	if (n > max)
		return fail(r, n > (1u << 20) ? KN_ETOOBIG : KN_EINVAL, "%s: longer than %zu bytes", key, max);
	*out = s;
	return 0;
}

/* A full commit id in member `key` (absent or null: *out NULL). */
static int
field_commit(struct req *r, json_t *o, const char *key, git_oid *id, const git_oid **out)
{
	const char *hex;
	int rc = field_string(r, o, key, 0, 64, &hex);
	*out = NULL;
	if (rc < 0 || !hex)
		return rc;
	if (strlen(hex) != GIT_OID_HEXSZ || strspn(hex, "0123456789abcdef") != GIT_OID_HEXSZ || git_oid_fromstr(id, hex) < 0)
		return fail(r, KN_EINVAL, "%s: a full commit id (40 lowercase hex digits) is needed", key);
	*out = id;
	return 0;
}

/* ---- pages ---------------------------------------------------------------------------------- */

/* "SPACE/PAGE" of the address: enter the space (404 when the viewer may not read it, as if
 * it did not exist) and check the page's name (400 with the reason). */
static int
page_target(struct req *r, const char *rest, const char **name)
{
	const char *slash = strchr(rest, '/');
	char space[SPACE_NAME_MAX + 1];
	if (!slash || slash == rest || (size_t)(slash - rest) > SPACE_NAME_MAX)
		return fail(r, KN_ENOTFOUND, "the address is /api/v1/…/SPACE/PAGE");
	memcpy(space, rest, (size_t)(slash - rest));
	space[slash - rest] = '\0';
	int rc = space_name_check(space, 1) < 0 ? KN_ENOTFOUND : reqspace_enter(r, space);
	if (rc == KN_ENOTFOUND)
		return fail(r, rc, "no space %s", space);
	if (rc < 0)
		return fail(r, rc, "the space cannot be opened");
	const char *why = pagename_problem(slash + 1, strlen(slash + 1));
	if (why)
		return fail(r, KN_EINVAL, "bad page name: %s", why);
	*name = slash + 1;
	return 0;
}

/* May the viewer change the request's space? 0, or the answer (403 saying why). */
static int
may_write(struct req *r)
{
	if (reqspace_may_write(r, r->space))
		return 0;
	if (r->read_only)
		return fail(r, KN_EFORBIDDEN, "this token may only read (scope read)");
	if (strcmp(r->space->name, SPACE_WIKI) == 0)
		return fail(r, KN_EFORBIDDEN, "changing the wiki needs the editor role; %s is %s",
			    r->user ? r->user->name : "anonymous", role_name((enum role)r->role));
	return fail(r, KN_EFORBIDDEN, "changing the space %s is for the people its write list names", r->space->name);
}

/* The front matter as an object: a key written as a list gives an array of its strings,
 * any other key its string (null when it has none). */
static json_t *
front_matter_json(const struct page_meta *m)
{
	json_t *o = json_object();
	for (size_t i = 0; i < m->nfields; i++) {
		const struct page_field *f = &m->fields[i];
		json_t *v;
		if (f->list) {
			v = json_array();
			for (size_t k = 0; k < f->nvalues; k++)
				json_array_append_new(v, jstr(f->values[k]));
		} else {
			v = f->nvalues ? jstr(f->values[0]) : json_null();
		}
		json_t *key = jstr(f->key); /* keys are UTF-8 too */
		json_object_set_new(o, json_string_value(key), v);
		json_decref(key);
	}
	return o;
}

struct last_change {
	int64_t time;
	const char *author;
	struct arena *a;
};

static int
last_change(const struct store_logent *e, void *payload)
{
	struct last_change *l = payload;
	l->time = e->time;
	l->author = arena_strdup(l->a, e->author);
	return 1;
}

/* When page file `path` last changed and by whom: the index knows it for main; an older
 * revision asks git. 1 when that is the answer for good, 0 when it could not be read. */
static int
page_updated(struct req *r, struct snap *s, const char *path, int at_rev, struct last_change *out)
{
	struct index_page ip;
	struct index *ix;
	out->a = r->a;
	if (at_rev)
		return store_log(s, path, 0, 1, last_change, out) >= 0;
	if (!(ix = ui_index(r)))
		return 0;
	int rc = index_page_get(&ip, ix, ui_scope_here(r), ui_space_name(r), path, r->a);
	if (rc == 0) {
		out->time = ip.updated_time;
		out->author = ip.updated_author;
	}
	return rc == 0 || rc == KN_ENOTFOUND;
}

/* The commit of main now, when the client gave no base (the change then checks nothing). */
static int
tip_of(struct req *r, git_oid *out)
{
	struct snap s;
	int rc = store_snap_open(&s, r->st, NULL);
	if (rc == 0 && !s.commit)
		rc = KN_ENOTFOUND;
	if (rc == 0)
		git_oid_cpy(out, &s.id);
	store_snap_close(&s);
	return rc;
}

/* GET pages/SPACE/PAGE[?rev=C]: the page's text, HTML, front matter, and its last change.
 * The answer is the same for everyone who may read the space (checked first) and, at one
 * commit, never changes: it is kept whole in the render cache, under the page's rendering
 * key (cache.h), so a page read costs about a tree lookup, not json_dumps of its text
 * (which costs more than the HTML view, bench/api-read.sh). */
static int
page_get(struct req *r, const char *rest)
{
	const char *name, *rev = req_query(r, "rev"), *fm, *key = NULL;
	struct snap s;
	struct buf path = BUF_INIT, md = BUF_INIT, title = BUF_INIT;
	struct page_meta m;
	struct last_change lc = { 0 };
	char hex[GIT_OID_HEXSZ + 1];
	size_t fm_len;
	int rc = page_target(r, rest, &name);
	if (rc < 0)
		return rc;
	if (rev && (strlen(rev) < 4 || strlen(rev) > GIT_OID_HEXSZ || strspn(rev, "0123456789abcdefABCDEF") != strlen(rev)))
		return fail(r, KN_EINVAL, "rev: a commit id (4 to 40 hex digits)");
	if ((rc = store_snap_open(&s, r->st, rev)) < 0)
		return fail(r, rc == KN_ENOTFOUND ? KN_ENOTFOUND : rc, "no commit %s", rev ? rev : "main");
	if (s.commit) {
		git_oid_tostr(hex, sizeof(hex), &s.id);
		key = arena_printf(r->a, "api:%s", ui_render_key(r, hex, name));
		buf_reset(&r->out);
		if (cache_get(&r->out, key)) {
			rc = replied(r, 0);
			goto done;
		}
	}
	pagename_to_path(&path, name);
	rc = s.commit ? store_read(&md, NULL, &s, path.ptr) : KN_ENOTFOUND;
	if (rc < 0) {
		rc = fail(r, rc, rc == KN_ENOTFOUND ? "no page %s in space %s%s%s" : "page %s of space %s cannot be read%s%s",
			  name, ui_space_name(r), rev ? " at " : "", rev ? rev : "");
		goto done;
	}
	size_t body = page_split(buf_cstr(&md), md.len, &fm, &fm_len);
	page_meta_parse(&m, r->a, fm, fm_len);
	if (!m.title)
		pagename_title(&title, name);
	int lasting = page_updated(r, &s, path.ptr, rev != NULL, &lc);
	json_t *doc = json_object();
	json_object_set_new(doc, "name", jstr(name));
	json_object_set_new(doc, "space", jstr(ui_space_name(r)));
	json_object_set_new(doc, "title", jstr(m.title ? m.title : buf_cstr(&title)));
	json_object_set_new(doc, "commit", json_string(hex));
	json_object_set_new(doc, "markdown", jstrn(buf_cstr(&md), md.len));
	json_object_set_new(doc, "html", jstr(ui_page_html(r, &s, hex, path.ptr, md.ptr + body, md.len - body, NULL)));
	json_object_set_new(doc, "front_matter", front_matter_json(&m));
	if (m.error)
		json_object_set_new(doc, "front_matter_error", jstr(m.error));
	json_object_set_new(doc, "updated", jtime(lc.time));
	json_object_set_new(doc, "author", jstr(lc.author));
	rc = reply(r, doc, 0);
	/* main's last change came from the index, caught up to main after s was taken: kept
	 * only when main is still s (else it may be a later change's) */
	git_oid now;
	if (lasting && (rev || (tip_of(r, &now) == 0 && git_oid_equal(&now, &s.id))))
		cache_put(key, buf_cstr(&r->out), r->out.len);
done:
	buf_free(&path);
	buf_free(&md);
	buf_free(&title);
	store_snap_close(&s);
	return rc;
}

/* PUT pages/SPACE/PAGE {markdown, base, message}: the edit form's save (ui_save_page): 201
 * a new page, 200 a changed one, 409 with the current text when the change clashes. */
static int
page_put(struct req *r, const char *rest)
{
	static const char *const known[] = { "markdown", "base", "message", NULL };
	const char *name, *markdown, *base, *message;
	struct ui_save_result res;
	json_t *in = NULL;
	int rc = page_target(r, rest, &name);
	if (rc < 0 || (rc = may_write(r)) < 0 || (rc = body_object(r, &in, 0)) < 0)
		return rc;
	if ((rc = only_fields(r, in, known)) < 0 || (rc = field_string(r, in, "markdown", 1, UI_PAGE_MAX, &markdown)) < 0 ||
	    (rc = field_string(r, in, "base", 0, 64, &base)) < 0 || (rc = field_string(r, in, "message", 0, TEXT_MAX, &message)) < 0)
		goto done;
	if (base && (strlen(base) != GIT_OID_HEXSZ || strspn(base, "0123456789abcdef") != GIT_OID_HEXSZ)) {
		rc = fail(r, KN_EINVAL, "base: a full commit id (40 lowercase hex digits), or null for a new page");
		goto done;
	}
	rc = ui_save_page(r, name, markdown, base ? base : "", message, &res);
	if (rc == KN_ECONFLICT) {
		json_t *cur = json_pack("{s:s, s:b}", "commit", res.tip, "exists", res.exists);
		json_object_set_new(cur, "markdown", res.exists ? jstrn(res.current, res.current_len) : json_null());
		json_t *doc = json_pack("{s:o}", "current", cur);
		json_object_set_new(doc, "merged", jstr(res.merged_text));
		log_warn("api %s %s from %s: 409 conflict: changed since base %s", r->method, r->path, r->remote,
			 base ? base : "(new page)");
		error_doc(r, KN_ECONFLICT,
			  !base	       ? "the page exists: give its commit as base to change it"
			  : res.exists ? "the page was changed since base, and the changes clash: nothing was saved"
				       : "the page was deleted since base: nothing was saved",
			  doc);
		goto done;
	}
	if (rc == KN_ETOOBIG) {
		rc = fail(r, rc, "markdown: over %u bytes", UI_PAGE_MAX);
		goto done;
	}
	if (rc < 0) {
		rc = fail(r, rc, "the page could not be saved (%s)", kn_strerror(rc));
		goto done;
	}
	rc = reply(r,
		   json_pack("{s:o, s:s, s:s, s:b, s:b}", "name", jstr(name), "space", ui_space_name(r), "commit", res.commit,
			     "merged", res.merged, "created", res.created),
		   res.created ? KN_CREATED : 0);
done:
	json_decref(in);
	return rc;
}

/* DELETE pages/SPACE/PAGE [{base, message}]: the delete form's commit "Delete NAME: why". */
static int
page_delete(struct req *r, const char *rest)
{
	static const char *const known[] = { "base", "message", NULL };
	const char *name, *message;
	const git_oid *base;
	git_oid b, out;
	json_t *in = NULL;
	int rc = page_target(r, rest, &name);
	if (rc < 0 || (rc = may_write(r)) < 0 || (rc = body_object(r, &in, 1)) < 0)
		return rc;
	if ((rc = only_fields(r, in, known)) < 0 || (rc = field_commit(r, in, "base", &b, &base)) < 0 ||
	    (rc = field_string(r, in, "message", 0, TEXT_MAX, &message)) < 0)
		goto done;
	if (!base && tip_of(r, &b) == 0)
		base = &b;
	message = message ? ui_one_line(r->a, message, TEXT_MAX, "") : NULL;
	struct store_author who = ui_author(r);
	rc = manage_delete(&out, r->st, base, name, &who, message ? message : "deleted through the API");
	if (rc < 0) {
		rc = fail(r, rc, rc == KN_ENOTFOUND	? "no page %s in space %s"
				 : rc == KN_ECONFLICT ? "page %s of space %s was changed since base: nothing was deleted"
						      : "page %s of space %s could not be deleted",
			  name, ui_space_name(r));
		goto done;
	}
	char hex[GIT_OID_HEXSZ + 1];
	git_oid_tostr(hex, sizeof(hex), &out);
	log_info("delete %s by %s (api): %s", name, who.name, message ? message : "-");
	rc = reply(r, json_pack("{s:o, s:s, s:s}", "name", jstr(name), "space", ui_space_name(r), "commit", hex), 0);
done:
	json_decref(in);
	return rc;
}

/* POST rename/SPACE/PAGE {to, base, message, space}: the rename form (ui_rename_page):
 * links follow, the old name redirects; with `space`, a move into that space. */
static int
page_rename(struct req *r, const char *rest)
{
	static const char *const known[] = { "to", "base", "message", "space", NULL };
	const char *name, *to, *message, *space;
	const git_oid *base;
	git_oid b;
	struct ui_rename_result res;
	json_t *in = NULL;
	int rc = page_target(r, rest, &name);
	if (rc < 0 || (rc = may_write(r)) < 0 || (rc = body_object(r, &in, 0)) < 0)
		return rc;
	if ((rc = only_fields(r, in, known)) < 0 || (rc = field_string(r, in, "to", 1, PAGENAME_MAX * 2, &to)) < 0 ||
	    (rc = field_commit(r, in, "base", &b, &base)) < 0 ||
	    (rc = field_string(r, in, "message", 0, TEXT_MAX, &message)) < 0 ||
	    (rc = field_string(r, in, "space", 0, SPACE_NAME_MAX, &space)) < 0)
		goto done;
	message = message ? ui_one_line(r->a, message, TEXT_MAX, "") : NULL;
	rc = ui_rename_page(r, name, to, space, base, message, &res);
	switch (rc) {
	case 0:
		rc = reply(r,
			   json_pack("{s:o, s:o, s:s, s:s, s:I}", "name", jstr(res.new_name), "from", jstr(name), "space",
				     res.space, "commit", res.commit, "pages_updated", (json_int_t)res.npages),
			   0);
		break;
	case KN_EINVAL:
		rc = fail(r, rc, res.same ? "to: that is the page's name already" : "to: not a page name");
		break;
	case KN_EFORBIDDEN:
		rc = fail(r, rc, "space: you may not write in that space");
		break;
	case KN_EEXISTS:
		rc = fail(r, KN_ECONFLICT, "to: there is a page %s in space %s already", res.new_name, res.space);
		break;
	case KN_ECONFLICT:
		rc = fail(r, rc, "page %s was changed since base: nothing was renamed", name);
		break;
	case KN_ENOTFOUND:
		rc = fail(r, rc, "no page %s in space %s", name, ui_space_name(r));
		break;
	default:
		rc = fail(r, rc, "page %s could not be renamed (%s)", name, kn_strerror(rc));
	}
done:
	json_decref(in);
	return rc;
}

struct history {
	json_t *items;
	size_t n;
	char last[GIT_OID_HEXSZ + 1];
	size_t limit;
};

static int
history_entry(const struct store_logent *e, void *payload)
{
	struct history *h = payload;
	char hex[GIT_OID_HEXSZ + 1];
	if (h->n++ == h->limit)
		return 1; /* one more than shown: there is a next page */
	git_oid_tostr(hex, sizeof(hex), e->id);
	memcpy(h->last, hex, sizeof(hex));
	json_array_append_new(h->items, json_pack("{s:s, s:o, s:o, s:o, s:s}", "commit", hex, "author", jstr(e->author),
						   "date", jtime(e->time), "summary", jstr(e->summary), "change",
						   e->change == 'A' ? "created" : e->change == 'D' ? "deleted" : "modified"));
	return 0;
}

/* GET history/SPACE/PAGE[?limit=&cursor=]: the commits that changed the page, newest
 * first; the cursor is the last commit shown, so pages stay put while new commits come. */
static int
page_history(struct req *r, const char *rest)
{
	const char *name;
	char from[API_CURSOR_MAX + 1] = "";
	const char *cursor = req_query(r, "cursor");
	struct buf path = BUF_INIT;
	struct snap s;
	size_t limit;
	int rc = page_target(r, rest, &name);
	if (rc < 0 || (rc = limit_param(r, LIMIT_DEFAULT, LIMIT_MAX, &limit)) < 0)
		return rc;
	if (cursor && (api_cursor_decode(from, sizeof(from), 'h', cursor) < 0 || strlen(from) != GIT_OID_HEXSZ ||
		       strspn(from, "0123456789abcdef") != GIT_OID_HEXSZ))
		return fail(r, KN_EINVAL, "cursor: not one this list gave");
	if ((rc = store_snap_open(&s, r->st, *from ? from : NULL)) < 0)
		return fail(r, rc == KN_ENOTFOUND ? KN_EINVAL : rc, "cursor: not one this list gave");
	pagename_to_path(&path, name);
	struct history h = { json_array(), 0, "", limit };
	/* from the cursor's commit, which was shown: skip it */
	rc = store_log(&s, path.ptr, *from ? 1 : 0, limit + 1, history_entry, &h);
	if (rc < 0) {
		json_decref(h.items);
		rc = fail(r, rc, "the history of %s cannot be read", name);
	} else if (h.n == 0 && !*from) {
		json_decref(h.items);
		rc = fail(r, KN_ENOTFOUND, "no page %s in space %s, now or before", name, ui_space_name(r));
	} else {
		json_t *doc = json_pack("{s:o, s:s, s:o}", "name", jstr(name), "space", ui_space_name(r), "items", h.items);
		set_cursor(doc, 'h', h.n > limit ? h.last : NULL);
		rc = reply(r, doc, 0);
	}
	buf_free(&path);
	store_snap_close(&s);
	return rc;
}

/* ---- search, customers, recent changes ------------------------------------------------------ */

/* GET search?q=&customer=&tag=&dept=&limit=&cursor=: the search box's language and ranking
 * (search.c), in the spaces the viewer may read; the cursor is the offset into the ranking. */
static int
api_search(struct req *r, const char *rest)
{
	struct search_query q;
	struct search_result res;
	long long offset;
	size_t limit;
	int rc;
	if ((rc = limit_param(r, SEARCH_PAGE_SIZE, SEARCH_PAGE_SIZE, &limit)) < 0 ||
	    (rc = cursor_number(r, 's', (long long)SEARCH_MAX_PAGE * SEARCH_PAGE_SIZE - 1, &offset)) < 0)
		return rc;
	search_parse(&q, r->a, req_query(r, "q"));
	for (size_t i = 0; i < r->query.n; i++)
		for (int k = 0; k < SF_KINDS; k++)
			if (strcmp(r->query.v[i].key, search_filter_name((enum search_filter)k)) == 0)
				search_add_filter(&q, r->a, (enum search_filter)k, r->query.v[i].val);
	if (!q.match && !q.nfilters[SF_CUSTOMER] && !q.nfilters[SF_TAG] && !q.nfilters[SF_DEPT] && !q.nspaces)
		return fail(r, KN_EINVAL, "q: a search needs words, or customer:, tag:, dept: filters");
	q.page = (unsigned)(offset / SEARCH_PAGE_SIZE) + 1;
	struct index *ix = ui_index(r);
	if (!ix || search_run(&res, ix, ui_scope(r), &q, r->a) < 0)
		return fail(r, KN_EBUSY, "search is not available now");
	json_t *items = json_array(), *facets = json_object();
	size_t first = (size_t)(offset % SEARCH_PAGE_SIZE), shown = 0;
	for (size_t i = first; i < res.nhits && shown < limit; i++, shown++) {
		const struct search_hit *h = &res.hits[i];
		json_array_append_new(items, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", jstr(h->name),
						       "space", jstr(h->space), "title", jstr(h->title), "title_html",
						       jstr(h->title_html), "snippet_html", jstr(h->snippet_html), "customer",
						       *h->customer ? jstr(h->customer) : json_null(), "updated",
						       jtime(h->updated_time), "author", jstr(h->updated_author)));
	}
	for (int k = 0; k < SF_KINDS; k++) {
		json_t *list = json_array();
		for (size_t i = 0; i < res.nfacets[k]; i++)
			json_array_append_new(list, json_pack("{s:o, s:i}", "value", jstr(res.facets[k][i].value), "count",
							      (int)res.facets[k][i].count));
		json_object_set_new(facets, search_filter_name((enum search_filter)k), list);
	}
	long long next = offset + (long long)shown;
	json_t *doc = json_pack("{s:o, s:I, s:b, s:b, s:o, s:o}", "q", jstr(q.text), "total", (json_int_t)res.total,
				"partial", res.partial, "truncated", q.truncated, "items", items, "facets", facets);
	set_cursor_number(doc, 's', shown > 0 && (size_t)next < res.total && next < (long long)SEARCH_MAX_PAGE * SEARCH_PAGE_SIZE,
			  next);
	return reply(r, doc, 0);
}

/* GET customers[?limit=&cursor=]: every customer of the readable spaces, by name. */
static int
api_customers(struct req *r, const char *rest)
{
	struct index_groups g;
	struct index *ix = ui_index(r);
	long long offset;
	size_t limit;
	int rc;
	if ((rc = limit_param(r, LIMIT_DEFAULT, LIMIT_MAX, &limit)) < 0 || (rc = cursor_number(r, 'c', 1LL << 40, &offset)) < 0)
		return rc;
	if (!ix || index_groups(&g, ix, ui_scope(r), INDEX_CUSTOMER, r->a) < 0)
		return fail(r, KN_EBUSY, "the index is not available now");
	json_t *items = json_array();
	size_t i;
	for (i = (size_t)offset; i < g.n && i < (size_t)offset + limit; i++)
		json_array_append_new(items, json_pack("{s:o, s:i, s:o}", "name", jstr(g.v[i].value), "pages",
						       (int)g.v[i].pages, "updated", jtime(g.v[i].newest)));
	json_t *doc = json_pack("{s:o}", "items", items);
	set_cursor_number(doc, 'c', i < g.n, (long long)i);
	return reply(r, doc, 0);
}

static json_t *
page_item(const struct index_page *p)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", jstr(p->name), "space", jstr(p->space), "title",
			 jstr(p->title), "updated", jtime(p->updated_time), "author", jstr(p->updated_author), "owner",
			 *p->owner ? jstr(p->owner) : json_null(), "review_by",
			 *p->review_by ? jstr(p->review_by) : json_null());
}

/* GET customers/NAME: the customer 360 of the web's /customer/NAME: its pages by
 * department (a page of several in each, those of none last), and who knows it. 404 when
 * the viewer can read none of its pages. */
static int
api_customer(struct req *r, const char *rest)
{
	const char *name = ui_customer_name(r->a, rest);
	struct index_pages pl;
	struct ui_knowers k;
	struct index *ix = ui_index(r);
	if (!*name || strlen(name) > 200 || !utf8_valid(name, strlen(name)))
		return fail(r, KN_EINVAL, "the customer's name: 1 to 200 bytes of UTF-8");
	if (!ix || index_pages_with(&pl, ix, ui_scope(r), INDEX_CUSTOMER, name, r->a) < 0)
		return fail(r, KN_EBUSY, "the index is not available now");
	if (pl.n == 0)
		return fail(r, KN_ENOTFOUND, "no customer %s", name);
	json_t *depts = json_array(), *pages = NULL;
	const char *cur = NULL;
	for (size_t i = 0; i < pl.n; i++) {
		if (!cur || strcmp(cur, pl.v[i].section) != 0) {
			cur = pl.v[i].section;
			pages = json_array();
			json_array_append_new(depts, json_pack("{s:o, s:o}", "department", *cur ? jstr(cur) : json_null(),
							       "pages", pages));
		}
		json_array_append_new(pages, page_item(&pl.v[i]));
	}
	json_t *knows = json_array();
	if (ui_knowers(&k, r, name) == 0)
		for (size_t i = 0; i < k.n; i++)
			json_array_append_new(knows, json_pack("{s:o, s:o, s:I}", "name", jstr(k.v[i].who), "updated",
							       jtime(k.v[i].time), "changes", (json_int_t)k.v[i].pages));
	return reply(r, json_pack("{s:o, s:o, s:o}", "customer", jstr(name), "departments", depts, "who_knows", knows), 0);
}

/* GET recent[?customer=|tag=|department=&limit=&cursor=]: the newest page changes of the
 * readable spaces, as /recent shows them (at most UI_RECENT_MAX in all). */
static int
api_recent(struct req *r, const char *rest)
{
	static const char *const kinds[] = { "customer", "tag", "department" };
	const char *kind = NULL, *value = NULL, *label;
	struct ui_changes ch;
	long long offset;
	size_t limit;
	int rc;
	if ((rc = limit_param(r, UI_RECENT_MAX, UI_RECENT_MAX, &limit)) < 0 ||
	    (rc = cursor_number(r, 'r', UI_RECENT_MAX, &offset)) < 0)
		return rc;
	for (size_t i = 0; i < 3 && !kind; i++)
		if ((value = req_query(r, kinds[i])))
			kind = kinds[i];
	if ((rc = ui_changes(&ch, r, kind, value, &label)) < 0)
		return fail(r, rc, rc == KN_EINVAL ? "%s: 1 to 200 bytes of UTF-8" : "recent changes cannot be read (%s)",
			    rc == KN_EINVAL ? kind : kn_strerror(rc));
	json_t *items = json_array();
	size_t i;
	for (i = (size_t)offset; i < ch.n && i < (size_t)offset + limit; i++) {
		const struct ui_change *c = &ch.v[i];
		json_array_append_new(items, json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:s}", "space", jstr(c->space), "name",
						       jstr(c->name), "commit", c->hex, "author", jstr(c->author), "summary",
						       jstr(c->summary), "date", jtime(c->time), "change",
						       c->kind == 'A' ? "created" : c->kind == 'D' ? "deleted" : "modified"));
	}
	json_t *doc = json_pack("{s:o}", "items", items);
	set_cursor_number(doc, 'r', i < ch.n, (long long)i);
	return reply(r, doc, 0);
}

/* ---- watches -------------------------------------------------------------------------------- */

static json_t *
watch_json(const struct watch *w)
{
	json_t *o = json_pack("{s:I, s:o, s:s, s:o}", "id", (json_int_t)w->id, watch_kind_name(w->kind), jstr(w->value),
			      "mode", watch_mode_name(w->mode), "created", jtime(w->created));
	if (w->kind == WATCH_PAGE)
		json_object_set_new(o, "space", jstr(w->space));
	return o;
}

/* The thing a body names: exactly one of customer, page, tag, department, owner (a page
 * with its space, "wiki" unless said); 404 for a space the viewer may not read. */
static int
watch_thing(struct req *r, json_t *in, enum watch_kind *kind, const char **value, const char **space)
{
	int found = 0;
	const char *sp;
	for (int k = 0; k < WATCH_KINDS; k++) {
		const char *v;
		int rc = field_string(r, in, watch_kind_name((enum watch_kind)k), 0, WATCH_VALUE_MAX, &v);
		if (rc < 0)
			return rc;
		if (v && found++)
			return fail(r, KN_EINVAL, "a watch names one thing: customer, page, tag, department or owner");
		if (v) {
			*kind = (enum watch_kind)k;
			*value = v;
		}
	}
	if (!found)
		return fail(r, KN_EINVAL, "a watch names a customer, page, tag, department or owner");
	int rc = field_string(r, in, "space", 0, SPACE_NAME_MAX, &sp);
	if (rc < 0)
		return rc;
	if (*kind != WATCH_PAGE) {
		if (sp)
			return fail(r, KN_EINVAL, "space: only a page watch has one");
		*space = "";
	} else {
		*space = sp ? sp : SPACE_WIKI;
		if (pagename_check(*value, strlen(*value)) < 0)
			return fail(r, KN_EINVAL, "page: bad page name: %s", pagename_problem(*value, strlen(*value)));
		if (space_name_check(*space, 1) < 0 || !reqspace_readable(r, *space))
			return fail(r, KN_ENOTFOUND, "no space %s", *space);
	}
	*value = ui_one_line(r->a, *value, WATCH_VALUE_MAX, "");
	if (!*value)
		return fail(r, KN_EINVAL, "%s: empty", watch_kind_name(*kind));
	return 0;
}

/* GET watches[?limit=&cursor=]: what the caller watches (pages of spaces they may no longer
 * read left out). */
static int
watches_get(struct req *r, const char *rest)
{
	struct db *db = access_db(r->cfg);
	struct watch *w = NULL;
	size_t n = 0, limit;
	long long after;
	int rc;
	if ((rc = limit_param(r, LIMIT_DEFAULT, LIMIT_MAX, &limit)) < 0 || (rc = cursor_number(r, 'w', 1LL << 62, &after)) < 0)
		return rc;
	if (!db || watch_list(db, r->user->id, after, limit + 1, &w, &n) < 0) {
		free(w);
		return fail(r, KN_EIO, "the watches cannot be read");
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n && i < limit; i++)
		if (w[i].kind != WATCH_PAGE || reqspace_readable(r, w[i].space))
			json_array_append_new(items, watch_json(&w[i]));
	json_t *doc = json_pack("{s:o}", "items", items);
	set_cursor_number(doc, 'w', n > limit, n > limit ? (long long)w[limit - 1].id : 0);
	free(w);
	return reply(r, doc, 0);
}

/* POST watches {customer|page|tag|department|owner, space, mode}: 201 a new watch, 200 a
 * watch of the same thing with its mode changed. */
static int
watches_post(struct req *r, const char *rest)
{
	static const char *const known[] = { "customer", "page", "tag", "department", "owner", "space", "mode", NULL };
	struct db *db = access_db(r->cfg);
	enum watch_kind kind = WATCH_CUSTOMER;
	const char *value, *space, *mode_s;
	struct watch w;
	int64_t id;
	json_t *in = NULL;
	int rc = body_object(r, &in, 0);
	if (rc < 0)
		return rc;
	if ((rc = only_fields(r, in, known)) < 0 || (rc = watch_thing(r, in, &kind, &value, &space)) < 0 ||
	    (rc = field_string(r, in, "mode", 0, 20, &mode_s)) < 0)
		goto done;
	int mode = mode_s ? watch_mode_parse(mode_s) : WATCH_IMMEDIATE;
	if (mode < 0) {
		rc = fail(r, KN_EINVAL, "mode: \"immediate\" or \"digest\"");
		goto done;
	}
	int existed = db && watch_find(db, r->user->id, kind, value, space, &id) == 1;
	rc = db ? watch_add(db, r->user->id, kind, value, space, (enum watch_mode)mode, &w) : KN_EIO;
	if (rc < 0) {
		rc = rc == KN_ETOOBIG ? fail(r, KN_ECONFLICT, "you watch %d things already", WATCHES_PER_USER)
				      : fail(r, rc, "the watch cannot be made (%s)", kn_strerror(rc));
		goto done;
	}
	w.created = (int64_t)time(NULL);
	if (existed && watch_get(db, r->user->id, w.id, &w) < 0)
		w.created = 0;
	log_info("watch by %s (api): %s %s %s", r->user->name, watch_kind_name(kind), value, watch_mode_name(w.mode));
	rc = reply(r, watch_json(&w), existed ? 0 : KN_CREATED);
done:
	json_decref(in);
	return rc;
}

/* DELETE watches/ID, or DELETE watches {customer|page|…}: stop watching. */
static int
watches_delete(struct req *r, const char *rest)
{
	static const char *const known[] = { "customer", "page", "tag", "department", "owner", "space", NULL };
	struct db *db = access_db(r->cfg);
	json_t *in = NULL;
	int rc;
	if (!db)
		return fail(r, KN_EIO, "the watches cannot be read");
	if (*rest) {
		char *end;
		long long id = strtoll(rest, &end, 10);
		if (*end || id <= 0)
			return fail(r, KN_ENOTFOUND, "no watch %.30s", rest);
		rc = watch_del(db, r->user->id, id);
		if (rc < 0)
			return fail(r, rc, rc == KN_ENOTFOUND ? "no watch %lld of yours" : "watch %lld cannot be removed", id);
		log_info("watch by %s (api): watch %lld stopped", r->user->name, id);
		return reply(r, json_pack("{s:I}", "deleted", (json_int_t)id), 0);
	}
	enum watch_kind kind = WATCH_CUSTOMER;
	const char *value, *space;
	if ((rc = body_object(r, &in, 0)) < 0)
		return rc;
	if ((rc = only_fields(r, in, known)) == 0 && (rc = watch_thing(r, in, &kind, &value, &space)) == 0) {
		rc = watch_del_thing(db, r->user->id, kind, value, space);
		if (rc < 0)
			rc = fail(r, rc, rc == KN_ENOTFOUND ? "you do not watch %s %s" : "the watch of %s %s cannot be removed",
				  watch_kind_name(kind), value);
		else
			rc = reply(r, json_pack("{s:o}", "deleted", json_pack("{s:o}", watch_kind_name(kind), jstr(value))), 0);
	}
	json_decref(in);
	return rc;
}

/* GET openapi.json: the description of all this (static/openapi.json, embedded). */
static int
api_openapi(struct req *r, const char *rest)
{
	const struct asset *a = asset_find("static/openapi.json");
	if (!a)
		return fail(r, KN_ENOTFOUND, "no description was built in");
	buf_put(&r->out, a->data, a->len);
	r->content_type = "application/json";
	resp_header(r, "Cache-Control", "no-cache");
	return 0;
}

/* ---- the table, and who may ------------------------------------------------------------------ */

enum {
	A_EXACT = 1,  /* the path is the pattern, not below it */
	A_PUBLIC = 2, /* no login needed (the description) */
	A_USER = 4,   /* an account is needed (watches are someone's) */
	A_WRITE = 8,  /* changes something: no read token; a session must send X-CSRF-Token */
};

struct api_route {
	const char *method;
	const char *pattern; /* below /api/v1/ */
	int (*fn)(struct req *r, const char *rest);
	int flags;
};

static const struct api_route api_routes[] = {
	{ "GET",    "openapi.json", api_openapi,    A_EXACT | A_PUBLIC },
	{ "GET",    "pages/",       page_get,       0 },
	{ "PUT",    "pages/",       page_put,       A_WRITE },
	{ "DELETE", "pages/",       page_delete,    A_WRITE },
	{ "POST",   "rename/",      page_rename,    A_WRITE },
	{ "GET",    "history/",     page_history,   0 },
	{ "GET",    "search",       api_search,     A_EXACT },
	{ "GET",    "customers",    api_customers,  A_EXACT },
	{ "GET",    "customers/",   api_customer,   0 },
	{ "GET",    "recent",       api_recent,     A_EXACT },
	{ "GET",    "watches",      watches_get,    A_EXACT | A_USER },
	{ "POST",   "watches",      watches_post,   A_EXACT | A_USER | A_WRITE },
	{ "DELETE", "watches",      watches_delete, A_EXACT | A_USER | A_WRITE },
	{ "DELETE", "watches/",     watches_delete, A_USER | A_WRITE },
};

static int
matches(const struct api_route *rt, const char *path)
{
	size_t n = strlen(rt->pattern);
	if (rt->flags & A_EXACT)
		return strcmp(path, rt->pattern) == 0;
	return strncmp(path, rt->pattern, n) == 0 && path[n];
}

/* Who asks, and may they use route `rt`? 0, or the answer (401, 403). */
static int
api_permitted(struct req *r, const struct api_route *rt)
{
	if (rt->flags & A_PUBLIC)
		return 0;
	int rc = access_identify_api(r);
	if (rc == KN_ETHROTTLED)
		return fail(r, rc, "too many failed logins for this name or address: try again later");
	if (rc == KN_EINVAL)
		return fail(r, KN_EAUTH, "the token or password is wrong, revoked or malformed");
	if (rc < 0)
		return fail(r, rc, "the accounts cannot be read");
	if ((!r->user && r->role < ROLE_READER) || ((rt->flags & A_USER) && !r->user))
		return fail(r, KN_EAUTH, "send a personal access token: Authorization: Bearer kn_…");
	if (!(rt->flags & A_WRITE))
		return 0;
	if (r->read_only)
		return fail(r, KN_EFORBIDDEN, "this token may only read (scope read)");
	/* A session is a browser's: its writes carry the session's CSRF token as a header (the
	 * web's own scripts); a token is never sent by a browser on its own. */
	if (!req_header(r, "Authorization") && access_check_csrf(r) < 0)
		return fail(r, KN_EFORBIDDEN, "a change with the session cookie needs its X-CSRF-Token header");
	return 0;
}

int
api_v1(struct req *r)
{
	const char *path = r->rest ? r->rest : "";
	struct buf allow = BUF_INIT;
	const struct api_route *rt = NULL;
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]) && !rt; i++) {
		if (!matches(&api_routes[i], path))
			continue;
		if (strcmp(api_routes[i].method, r->method) == 0)
			rt = &api_routes[i];
		else if (!strstr(buf_cstr(&allow), api_routes[i].method))
			buf_printf(&allow, "%s%s", allow.len ? ", " : "", api_routes[i].method);
	}
	int rc;
	if (!rt && allow.len) {
		resp_header(r, "Allow", arena_strndup(r->a, allow.ptr, allow.len));
		rc = fail(r, KN_EMETHOD, "%s is not taken here; it takes %s", r->method, allow.ptr);
	} else if (!rt) {
		rc = fail(r, KN_ENOTFOUND, "no such address in the API (see /api/v1/openapi.json)");
	} else if ((rc = api_permitted(r, rt)) == 0) {
		rc = rt->fn(r, path + strlen(rt->pattern));
	}
	buf_free(&allow);
	return rc;
}
