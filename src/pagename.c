/* pagename.c: page-name validation and the name <-> file <-> title mappings. */
#include "pagename.h"

#include <string.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* Why [s, s+n) breaks the rules, or NULL. A page name is judged as the file it names, so
 * when `page` its last part is followed by ".md": it may end in a space or '.' ("trail "
 * is the file "trail .md"), which Windows could not check out only at the end of a path
 * part. One function for names and files, so the push hook and the web cannot disagree.
 * The characters a GitHub wiki allows (: * ? " < > | # %) are allowed: every address
 * kennis writes percent-encodes them (url_escape), and the server decodes the path once. */
static const char *
problem(const char *s, size_t n, int page)
{
	if (n == 0)
		return "an empty name";
	if (n > PAGENAME_MAX)
		return page ? "longer than " STR(PAGENAME_MAX) " bytes (without .md)" : "longer than " STR(PAGENAME_MAX) " bytes";
	if (!utf8_valid(s, n))
		return "not valid UTF-8";
	if (s[0] == '/' || s[n - 1] == '/')
		return "starts or ends with '/'";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int at_start = i == 0 || s[i - 1] == '/';
		if (c < 0x20 || c == 0x7f)
			return "a control character";
		if (c == '\\')
			return "a backslash (browsers read it as '/', Windows as a folder separator)";
		if (at_start && c == '/')
			return "an empty part ('//')";
		if (at_start && c == '.')
			return "a part starts with '.' (no '..', '.git' or hidden files)";
		if (c == '/' && (s[i - 1] == ' ' || s[i - 1] == '.'))
			return "a folder ends in a space or '.' (Windows cannot check it out)";
	}
	if (!page && (s[n - 1] == ' ' || s[n - 1] == '.'))
		return "the name ends in a space or '.' (Windows cannot check it out)";
	return NULL;
}

const char *
pagename_problem(const char *name, size_t n)
{
	return problem(name, n, 1);
}

int
pagename_check(const char *name, size_t n)
{
	return problem(name, n, 1) ? KN_EINVAL : 0;
}

const char *
pagename_path_problem(const char *path, size_t n)
{
	if (n >= 3 && memcmp(path + n - 3, ".md", 3) == 0)
		return problem(path, n - 3, 1);
	return problem(path, n, 0);
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
	if (n < 4 || memcmp(path + n - 3, ".md", 3) != 0 || pagename_path_problem(path, n))
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

/* Does [s, s+n) start with ".git", any case (".git", ".gitmodules", ".GitHub")? */
static int
dot_git(const char *s, size_t n)
{
	return n >= 4 && s[0] == '.' && (s[1] | 0x20) == 'g' && (s[2] | 0x20) == 'i' && (s[3] | 0x20) == 't';
}

const char *
pagename_kept_problem(const char *path, size_t n)
{
	if (n == 0)
		return "an empty name";
	if (!utf8_valid(path, n))
		return "not valid UTF-8";
	if (path[0] == '/' || path[n - 1] == '/')
		return "starts or ends with '/'";
	for (size_t i = 0; i < n;) {
		const char *part = path + i, *slash = memchr(part, '/', n - i);
		size_t len = slash ? (size_t)(slash - part) : n - i;
		if (len == 0)
			return "an empty part ('//')";
		if ((len == 1 && part[0] == '.') || (len == 2 && part[0] == '.' && part[1] == '.'))
			return "a part is '.' or '..'";
		if (dot_git(part, len))
			return "a part starts with '.git' (git's own files are never taken from a push)";
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)part[k] < 0x20 || part[k] == 0x7f)
				return "a control character";
		i += len + 1;
	}
	return NULL;
}
