/* tmpl.c: a small mustache-like template expander that escapes unless told otherwise. */
#include "tmpl.h"

#include <stdio.h>
#include <string.h>

#include "assets.h"

enum vtype { V_TEXT, V_HTML, V_LIST };

struct tval {
	struct tval *next;
	const char *key;
	enum vtype type;
	const char *str;
	struct tctx *items, *last; /* V_LIST */
};

struct tctx {
	struct arena *a;
	struct tctx *parent;
	struct tctx *next; /* sibling in a list */
	struct tval *vals;
};

struct tctx *
tctx_new(struct arena *a)
{
	struct tctx *c = arena_alloc(a, sizeof(*c));
	c->a = a;
	return c;
}

static struct tval *
own_val(struct tctx *c, const char *key)
{
	for (struct tval *v = c->vals; v; v = v->next)
		if (strcmp(v->key, key) == 0)
			return v;
	struct tval *v = arena_alloc(c->a, sizeof(*v));
	v->key = arena_strdup(c->a, key);
	v->next = c->vals;
	c->vals = v;
	return v;
}

void
tset(struct tctx *c, const char *key, const char *text)
{
	struct tval *v = own_val(c, key);
	v->type = V_TEXT;
	v->str = arena_strdup(c->a, text ? text : "");
}

void
tsetf(struct tctx *c, const char *key, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	tset(c, key, buf_cstr(&b));
	buf_free(&b);
}

void
tset_html(struct tctx *c, const char *key, const char *html)
{
	struct tval *v = own_val(c, key);
	v->type = V_HTML;
	v->str = arena_strdup(c->a, html ? html : "");
}

struct tctx *
tadd(struct tctx *c, const char *key)
{
	struct tval *v = own_val(c, key);
	if (v->type != V_LIST) {
		v->type = V_LIST;
		v->items = v->last = NULL;
	}
	struct tctx *item = tctx_new(c->a);
	item->parent = c;
	if (v->last)
		v->last->next = item;
	else
		v->items = item;
	v->last = item;
	return item;
}

static const struct tval *
lookup(const struct tctx *c, const char *key, size_t n)
{
	for (; c; c = c->parent)
		for (const struct tval *v = c->vals; v; v = v->next)
			if (strlen(v->key) == n && memcmp(v->key, key, n) == 0)
				return v;
	return NULL;
}

static int truthy(const struct tval *v)
{
	return v && (v->type == V_LIST ? v->items != NULL : v->str[0] != '\0');
}

static int expand(struct buf *out, const char *s, size_t n, struct tctx *c, int depth);

/* The first run of `times` (2 or 3) characters `ch` in [s, end), or NULL: memchr for the
 * first, then a look at the next ones. glibc's memmem with a 2-byte needle was 17% of the
 * instructions of a /history request (callgrind; docs/scale.md). */
static const char *
find_run(const char *s, const char *end, char ch, size_t times)
{
	while (s < end && (size_t)(end - s) >= times) {
		const char *t = memchr(s, ch, (size_t)(end - s) - (times - 1));
		if (!t)
			return NULL;
		if (t[1] == ch && (times < 3 || t[2] == ch))
			return t;
		s = t + 1;
	}
	return NULL;
}

/* Find the {{/key}} closing the section whose body starts at s, honouring nesting. */
static const char *
find_close(const char *s, const char *end, const char *key, size_t kn, const char **after)
{
	int level = 1;
	while (s < end) {
		const char *t = find_run(s, end, '{', 2);
		if (!t || t + 2 >= end)
			return NULL;
		char kind = t[2];
		const char *k = t + 3, *ke = find_run(k, end, '}', 2);
		if (!ke)
			return NULL;
		if ((kind == '#' || kind == '^' || kind == '/') && (size_t)(ke - k) == kn && memcmp(k, key, kn) == 0) {
			level += kind == '/' ? -1 : 1;
			if (level == 0) {
				*after = ke + 2;
				return t;
			}
		}
		s = ke + 2;
	}
	return NULL;
}

static void
put_value(struct buf *out, const struct tval *v, int raw, int url)
{
	if (!v || v->type == V_LIST)
		return;
	if (url) {
		struct buf u = BUF_INIT;
		url_escape(&u, v->str, strlen(v->str), 1);
		html_escape(out, buf_cstr(&u), u.len);
		buf_free(&u);
	} else if (raw && v->type == V_HTML) {
		buf_puts(out, v->str);
	} else {
		html_puts(out, v->str);
	}
}

static int
expand(struct buf *out, const char *s, size_t n, struct tctx *c, int depth)
{
	const char *end = s + n;
	if (depth > 16)
		return KN_EINVAL;
	while (s < end) {
		const char *t = find_run(s, end, '{', 2);
		if (!t) {
			buf_put(out, s, (size_t)(end - s));
			break;
		}
		buf_put(out, s, (size_t)(t - s));
		int raw = t + 2 < end && t[2] == '{';
		const char *k = t + (raw ? 3 : 2);
		const char *ke = find_run(k, end, '}', raw ? 3 : 2);
		if (!ke) {
			buf_put(out, t, (size_t)(end - t));
			break;
		}
		s = ke + (raw ? 3 : 2);
		char kind = *k;
		if (kind == '!')
			continue;
		if (kind == '#' || kind == '^') {
			const char *after, *close = find_close(s, end, k + 1, (size_t)(ke - k - 1), &after);
			if (!close)
				return KN_EINVAL;
			const struct tval *v = lookup(c, k + 1, (size_t)(ke - k - 1));
			if (kind == '^') {
				if (!truthy(v))
					expand(out, s, (size_t)(close - s), c, depth + 1);
			} else if (v && v->type == V_LIST) {
				for (struct tctx *it = v->items; it; it = it->next)
					expand(out, s, (size_t)(close - s), it, depth + 1);
			} else if (truthy(v)) {
				expand(out, s, (size_t)(close - s), c, depth + 1);
			}
			s = after;
		} else if (kind == '>') {
			char name[64];
			snprintf(name, sizeof(name), "%.*s", (int)(ke - k - 1), k + 1);
			struct buf path = BUF_INIT;
			buf_printf(&path, "templates/%s.html", name);
			const struct asset *a = asset_find(path.ptr);
			buf_free(&path);
			if (a)
				expand(out, a->data, a->len, c, depth + 1);
		} else {
			size_t kn = (size_t)(ke - k);
			int url = kn > 4 && memcmp(ke - 4, ":url", 4) == 0;
			put_value(out, lookup(c, k, url ? kn - 4 : kn), raw, url);
		}
	}
	return 0;
}

int
tmpl_render(struct buf *out, const char *name, struct tctx *c)
{
	struct buf path = BUF_INIT;
	/* "page" is templates/page.html; a name with its own extension ("feed.xml") is as given */
	buf_printf(&path, strchr(name, '.') ? "templates/%s" : "templates/%s.html", name);
	const struct asset *a = asset_find(path.ptr);
	buf_free(&path);
	if (!a) {
		log_error("template %s not found", name);
		return KN_ENOTFOUND;
	}
	return expand(out, a->data, a->len, c, 0);
}
