/* pagename.c: page-name validation and the name <-> file <-> title mappings. */
#include "pagename.h"

#include <string.h>

int
pagename_check(const char *name, size_t n)
{
	if (n == 0 || n > PAGENAME_MAX || !utf8_valid(name, n))
		return KN_EINVAL;
	if (name[0] == '/' || name[n - 1] == '/')
		return KN_EINVAL;
	int at_start = 1; /* at the first byte of a component */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || strchr("\\:*?\"<>|#%", c))
			return KN_EINVAL;
		if (at_start && (c == '.' || c == '/'))
			return KN_EINVAL; /* ".", "..", ".git", hidden, or "//" */
		/* Trailing spaces or dots in a component break checkouts on some systems. */
		if ((c == '/' ) && (name[i - 1] == ' ' || name[i - 1] == '.'))
			return KN_EINVAL;
		at_start = c == '/';
	}
	if (name[n - 1] == ' ' || name[n - 1] == '.')
		return KN_EINVAL;
	return 0;
}

int
pagename_from_link(struct buf *out, const char *t, size_t n)
{
	while (n && (*t == ' ' || *t == '\t')) {
		t++;
		n--;
	}
	while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
		n--;
	size_t start = out->len;
	for (size_t i = 0; i < n; i++) {
		char c = t[i];
		if (c == ' ' || c == '\t') {
			/* collapse runs of blanks into one '-' */
			if (out->len > start && out->ptr[out->len - 1] == '-' && i && (t[i - 1] == ' ' || t[i - 1] == '\t'))
				continue;
			c = '-';
		}
		buf_putc(out, c);
	}
	if (pagename_check(out->ptr ? out->ptr + start : "", out->len - start) < 0) {
		out->len = start;
		if (out->ptr)
			out->ptr[start] = '\0';
		return KN_EINVAL;
	}
	return 0;
}

void
pagename_to_path(struct buf *out, const char *name)
{
	buf_puts(out, name);
	buf_puts(out, ".md");
}

int
pagename_from_path(struct buf *out, const char *path, size_t n)
{
	if (n < 4 || memcmp(path + n - 3, ".md", 3) != 0)
		return KN_EINVAL;
	if (pagename_check(path, n - 3) < 0)
		return KN_EINVAL;
	buf_put(out, path, n - 3);
	return 0;
}

void
pagename_title(struct buf *out, const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *s = slash ? slash + 1 : name;
	for (; *s; s++)
		buf_putc(out, *s == '-' ? ' ' : *s);
}
