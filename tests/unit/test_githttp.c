/* test_githttp.c: the git endpoint's reading of the query string matches git http-backend's. */
#include "githttp.h"
#include "tap.h"

/* The service githttp_service finds in `q`, "(none)", or "(refused)". */
static const char *
service_of(struct arena *a, const char *q)
{
	const char *s;
	if (githttp_service(q, a, &s) < 0)
		return "(refused)";
	return s ? s : "(none)";
}

int
main(void)
{
	static const struct {
		const char *query, *want;
	} cases[] = {
		{ "service=git-upload-pack", "git-upload-pack" },
		{ "service=git-receive-pack", "git-receive-pack" },
		{ "", "(none)" },
		{ "other=x", "(none)" },
		/* issue 15 item 9: a naive reader takes the first, git the last: refuse both */
		{ "service=git-upload-pack&service=git-receive-pack", "(refused)" },
		{ "service=git-receive-pack&service=git-upload-pack", "(refused)" },
		{ "service=git-upload-pack&service=git-upload-pack", "(refused)" },
		/* git decodes names too, so these are a second "service" to git */
		{ "service=git-upload-pack&s%65rvice=git-receive-pack", "(refused)" },
		{ "service=git-upload-pack&%73ervice=git-receive-pack", "(refused)" },
		/* ... and values */
		{ "service=git-rec%65ive-pack", "git-receive-pack" },
		{ "s%65rvice=git-receive-pack", "git-receive-pack" },
		/* git: a name ends at '&' too, and then the value runs to the next '&' */
		{ "service&git-receive-pack", "git-receive-pack" },
		{ "service&git-receive-pack&x=1", "git-receive-pack" },
		/* an encoded '=' or '&' is part of the name or value, not a separator */
		{ "service=git-upload-pack&service%3Dgit-receive-pack", "git-upload-pack" },
		{ "service=git-upload-pack%26service=git-receive-pack", "git-upload-pack&service=git-receive-pack" },
		/* '+' is a space; bad escapes stay as they are */
		{ "service=a+b", "a b" },
		{ "service=%zz%4", "%zz%4" },
		{ "SERVICE=git-receive-pack", "(none)" }, /* git compares names exactly */
		/* %00: git versions disagree (old ones truncate there), so refuse */
		{ "service=git-receive-pack%00x", "(refused)" },
		{ "x=%00&service=git-upload-pack", "(refused)" },
	};
	struct arena *a = arena_new();
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		is_str(service_of(a, cases[i].query), cases[i].want, "?%s", cases[i].query);
	const char *s = "x";
	ok(githttp_service(NULL, a, &s) == 0 && s == NULL, "no query at all: no service");
	arena_free(a);
	return tap_done();
}
