/* ui_spaces.c: /admin/spaces: spaces and groups, for admins (the web side of `kennis space`
 * and `kennis group`). */
#include "ui.h"

#include <string.h>

#include "access.h"
#include "index.h"
#include "reqspace.h"
#include "space_repo.h"

#define GROUP_USERS_MAX 64

static int
add_group(const char *group, const char *members, void *payload)
{
	struct tctx *it = tadd(payload, "groups");
	tset(it, "group", group);
	tset(it, "members", members);
	tset(payload, "has_groups", "1");
	return 0;
}

/* The page, with `notice` (what happened, or why not) as the answer to `err`. */
static int
spaces_page(struct req *r, int err, const char *notice)
{
	struct db *db = access_db(r->cfg);
	struct space *all = NULL;
	size_t n = 0;
	if (!db || space_list(db, &all, &n) < 0)
		return KN_EIO;
	struct tctx *c = ui_context(r, "Spaces");
	tset(c, "notice", notice);
	for (size_t i = 1; i < n; i++) { /* the wiki first, and it has no lists */
		struct tctx *it = tadd(c, "spaces");
		tset(it, "space", all[i].name);
		tset(it, "read", all[i].read);
		tset(it, "write", all[i].write);
		if (!space_acl_is_all(all[i].read))
			tset(it, "restricted", "1");
		tset(c, "has_spaces", "1");
	}
	free(all);
	group_list(db, add_group, c);
	resp_header(r, "Cache-Control", "no-store");
	return ui_render_answer(r, err, "spaces", c);
}

int
ui_admin_spaces(struct req *r)
{
	return spaces_page(r, 0, NULL);
}

/* Up to GROUP_USERS_MAX user names of a blank- or comma-separated list, in the arena. */
static size_t
split_users(struct req *r, const char *list, const char **out)
{
	size_t n = 0;
	char *s = arena_strdup(r->a, list ? list : "");
	for (char *tok = strtok(s, " ,\t\r\n"); tok && n < GROUP_USERS_MAX; tok = strtok(NULL, " ,\t\r\n"))
		out[n++] = tok;
	return n;
}

/* A space was added, changed or removed: this server sees it at once, and a removed one
 * leaves the index in the same request. */
static void
spaces_changed(struct req *r, const char *removed)
{
	reqspace_changed();
	struct index *ix = removed ? index_for_thread(r->cfg) : NULL;
	if (ix && index_drop_space(ix, removed) < 0)
		log_warn("space %s: its pages stay in the index until the next reindex", removed);
}

int
ui_admin_spaces_post(struct req *r)
{
	struct db *db = access_db(r->cfg);
	const char *action = req_form(r, "action"), *name = req_form(r, "space");
	const char *read = req_form(r, "read"), *write = req_form(r, "write");
	struct buf why = BUF_INIT;
	const char *notice = NULL;
	int rc = 0;
	if (!db || !action)
		return db ? KN_EINVAL : KN_EIO;
	if (read && !*read)
		read = NULL;
	if (write && !*write)
		write = NULL;
	if (strcmp(action, "add") == 0 && name) {
		rc = space_create(db, r->cfg->data_dir, r->cfg->self_exe, name, read ? read : "admins",
				  write ? write : read ? read : "admins", &why);
		notice = rc == 0 ? arena_printf(r->a, "Space %s created.", name) : NULL;
		if (rc == 0)
			spaces_changed(r, NULL);
	} else if (strcmp(action, "set") == 0 && name) {
		rc = space_set(db, name, read, write, &why);
		notice = rc == 0 ? arena_printf(r->a, "Space %s changed.", name) : NULL;
		if (rc == 0)
			spaces_changed(r, NULL);
	} else if (strcmp(action, "del") == 0 && name) {
		char aside[4200];
		rc = space_delete(db, r->cfg->data_dir, name, req_form(r, "force") != NULL, aside, sizeof(aside));
		if (rc == KN_EEXISTS)
			buf_puts(&why, "it has pages and history: tick \"even with pages\" to move it aside anyway");
		if (rc == 0 || rc == KN_EIO) {
			notice = rc == 0 ? arena_printf(r->a, "Space %s removed; its repository is kept at %s.", name, aside)
					 : arena_printf(r->a, "Space %s removed; its repository could not be moved aside (see "
							      "the log).", name);
			rc = 0;
			spaces_changed(r, name);
		}
	} else if (strcmp(action, "group-add") == 0 || strcmp(action, "group-del") == 0) {
		const char *group = req_form(r, "group"), *users[GROUP_USERS_MAX];
		size_t nu = split_users(r, req_form(r, "users"), users);
		if (!group)
			rc = KN_EINVAL;
		else if (action[6] == 'a')
			rc = group_add(db, group, users, nu, &why);
		else
			rc = group_del(db, group, users, nu);
		if (rc == 0) {
			notice = arena_printf(r->a, "Group %s changed.", group);
			spaces_changed(r, NULL);
		}
	} else {
		rc = KN_EINVAL;
	}
	if (rc < 0) {
		log_warn("admin spaces by %s: %s %s refused: %s", r->user ? r->user->name : "-", action, name ? name : "",
			 why.len ? why.ptr : kn_strerror(rc));
		notice = arena_printf(r->a, "Not done: %s", why.len ? why.ptr : kn_strerror(rc));
		rc = rc == KN_EIO ? KN_EIO : rc == KN_ENOTFOUND ? KN_ENOTFOUND : KN_EINVAL;
	} else {
		log_info("admin spaces by %s: %s %s", r->user ? r->user->name : "-", action, name ? name : "");
	}
	buf_free(&why);
	return rc == KN_EIO ? rc : spaces_page(r, rc, notice);
}
