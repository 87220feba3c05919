/* events.h: what one commit did to the pages of a space, read from git (for webhooks,
 * watchers' notices and mails): each page's action, its name before and after, and its
 * front matter before and after (customer, departments, tags, owner). */
#ifndef KENNIS_EVENTS_H
#define KENNIS_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "page.h"
#include "store.h"

#define EVENTS_PAGES_MAX 500 /* pages of one commit described; the rest are counted */

struct page_change {
	char action;          /* 'c' created, 'e' edited, 'd' deleted, 'r' renamed */
	const char *name;     /* the page now (for a deletion: the page that was) */
	const char *old_name; /* before a rename, else NULL */
	const char *title;    /* from the front matter, else from the name */
	char sha[GIT_OID_HEXSZ + 1]; /* its blob now (before, for a deletion) */
	struct page_meta before, after; /* front matter values; empty when there was no page */
	int added, removed;   /* lines */
};

struct commit_event {
	const char *space;
	char hex[GIT_OID_HEXSZ + 1];
	const char *author, *email, *message;
	int64_t time;          /* the author's time, seconds since the epoch */
	struct page_change *pages;
	size_t n, more;        /* described, and not described beyond EVENTS_PAGES_MAX */
};

/* Read commit `c` of space `space` (repository `st`) into `ev`: the pages it changes
 * against its first parent (renames found as git finds them), frames and templates (a
 * part starting with '_') and other files left out. Strings live in arena `a`. 0, or KN_EGIT. */
int events_of_commit(struct commit_event *ev, struct store *st, const char *space, git_commit *c, struct arena *a);

/* "created", "edited", "deleted", "renamed" */
const char *events_action_name(char action);

/* Does the change touch `value` of kind customer (0), tag (1), department (2) or owner (3),
 * before or after, without ASCII case? */
int events_touches(const struct page_change *p, int kind, const char *value);

#endif
