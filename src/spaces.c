/* spaces.c: the registry of spaces and groups (state database) and the read/write rule. */
#include "spaces.h"

#include "index.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const struct db_migration schema[] = {
	{ 1,
	  "CREATE TABLE spaces(name TEXT PRIMARY KEY, read_acl TEXT NOT NULL, write_acl TEXT NOT NULL,"
	  "  created INTEGER NOT NULL);"
	  "CREATE TABLE groups(name TEXT PRIMARY KEY, created INTEGER NOT NULL);"
	  "CREATE TABLE group_members(grp TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,"
	  "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY(grp, user_id));"
	  "CREATE INDEX group_members_user ON group_members(user_id);",
	  "CREATE TABLE spaces(name TEXT PRIMARY KEY, read_acl TEXT NOT NULL, write_acl TEXT NOT NULL,"
	  "  created BIGINT NOT NULL);"
	  "CREATE TABLE groups(name TEXT PRIMARY KEY, created BIGINT NOT NULL);"
	  "CREATE TABLE group_members(grp TEXT NOT NULL REFERENCES groups(name) ON DELETE CASCADE,"
	  "  user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE, PRIMARY KEY(grp, user_id));"
	  "CREATE INDEX group_members_user ON group_members(user_id);" },
};

int
spaces_db_init(struct db *db)
{
	return db_migrate(db, "spaces", schema, sizeof(schema) / sizeof(schema[0]));
}

static int
name_chars(const char *s, size_t max, const char *extra)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n > max)
		return KN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr(extra, c)))
			return KN_EINVAL;
	}
	return 0;
}

int
space_name_check(const char *name, int allow_wiki)
{
	/* Lower case only: a space is a folder name and part of addresses and [[space:Page]]
	 * links, where case variants would be confusing twins. */
	if (name_chars(name, SPACE_NAME_MAX, "-") < 0)
		return KN_EINVAL;
	if (!allow_wiki && strcmp(name, SPACE_WIKI) == 0)
		return KN_EINVAL;
	return 0;
}

int
group_name_check(const char *name)
{
	return name_chars(name, GROUP_NAME_MAX, "-_.");
}

int
space_acl_is_all(const char *acl)
{
	return acl && strcmp(acl, "all") == 0;
}

static int
is_role_word(const char *s, size_t n, int *role)
{
	static const struct { const char *w; int role; } words[] = {
		{ "readers", ROLE_READER }, { "editors", ROLE_EDITOR }, { "admins", ROLE_ADMIN } };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].w) == n && strncmp(s, words[i].w, n) == 0) {
			*role = words[i].role;
			return 1;
		}
	return 0;
}

/* Call cb on each entry of a list ("a, @b,editors"), trimmed. Stops at a non-zero return. */
static int
acl_each(const char *acl, int (*cb)(const char *e, size_t n, void *p), void *p)
{
	const char *s = acl;
	while (*s) {
		s += strspn(s, " ,");
		size_t n = strcspn(s, ",");
		size_t t = n;
		while (t && s[t - 1] == ' ')
			t--;
		if (t) {
			int rc = cb(s, t, p);
			if (rc)
				return rc;
		}
		s += n;
	}
	return 0;
}

struct acl_check {
	struct db *db;
	struct buf *why;
	int entries;
};

static int
check_entry(const char *e, size_t n, void *p)
{
	struct acl_check *ck = p;
	char name[AUTH_NAME_MAX + 2];
	int role;
	int64_t one;
	ck->entries++;
	if (is_role_word(e, n, &role))
		return 0;
	if (n > AUTH_NAME_MAX + 1 || (n == 3 && strncmp(e, "all", 3) == 0)) {
		if (ck->why)
			buf_printf(ck->why, "'%.*s': 'all' stands alone, and names are at most %d characters. ", (int)(n > 80 ? 80 : n), e,
				   AUTH_NAME_MAX);
		return KN_EINVAL;
	}
	memcpy(name, e, n);
	name[n] = '\0';
	int group = name[0] == '@';
	const char *id = name + group;
	if (group ? group_name_check(id) < 0 : auth_name_check(id) < 0) {
		if (ck->why)
			buf_printf(ck->why, "'%s' is not a user name, @group, readers, editors, admins or all. ", name);
		return KN_EINVAL;
	}
	int rc = db_query_int(&one, ck->db,
			      group ? "SELECT 1 FROM groups WHERE name = $1" : "SELECT 1 FROM users WHERE name = $1", "s", id);
	if (rc == KN_ENOTFOUND) {
		if (ck->why)
			buf_printf(ck->why, "there is no %s '%s'. ", group ? "group" : "user", id);
		return KN_EINVAL;
	}
	return rc < 0 ? rc : 0;
}

int
space_acl_check(struct db *db, const char *acl, struct buf *why)
{
	struct acl_check ck = { db, why, 0 };
	if (!acl || strlen(acl) > SPACE_ACL_MAX) {
		if (why)
			buf_printf(why, "an access list is at most %d bytes. ", SPACE_ACL_MAX);
		return KN_EINVAL;
	}
	if (space_acl_is_all(acl))
		return 0;
	int rc = acl_each(acl, check_entry, &ck);
	if (rc == 0 && ck.entries == 0) {
		if (why)
			buf_puts(why, "the list is empty (use 'all', or name users, @groups or roles). ");
		return KN_EINVAL;
	}
	return rc;
}

void
space_wiki(struct space *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", SPACE_WIKI);
	snprintf(out->read, sizeof(out->read), "all");
	snprintf(out->write, sizeof(out->write), "editors");
}

static void
fill_space(struct db_res *r, struct space *sp)
{
	memset(sp, 0, sizeof(*sp));
	snprintf(sp->name, sizeof(sp->name), "%s", db_col_text(r, 0));
	snprintf(sp->read, sizeof(sp->read), "%s", db_col_text(r, 1));
	snprintf(sp->write, sizeof(sp->write), "%s", db_col_text(r, 2));
	sp->created = db_col_int(r, 3);
}

int
space_get(struct db *db, const char *name, struct space *out)
{
	struct db_res *r = NULL;
	if (name && strcmp(name, SPACE_WIKI) == 0) {
		space_wiki(out);
		return 0;
	}
	if (space_name_check(name, 0) < 0)
		return KN_ENOTFOUND;
	int rc = db_query(&r, db, "SELECT name, read_acl, write_acl, created FROM spaces WHERE name = $1", "s", name);
	if (rc < 0)
		return rc;
	rc = db_row(r);
	if (rc == 1)
		fill_space(r, out);
	db_res_free(r);
	return rc == 1 ? 0 : rc == 0 ? KN_ENOTFOUND : rc;
}

static int
check_lists(struct db *db, const char *read, const char *write, struct buf *why)
{
	/* While no account exists everyone is an editor: a list naming someone would be a
	 * promise the wiki cannot keep. */
	int64_t users = 0;
	if (((read && !space_acl_is_all(read)) || (write && !space_acl_is_all(write) && strcmp(write, "editors") != 0)) &&
	    db_query_int(&users, db, "SELECT count(*) FROM users", "") == 0 && users == 0) {
		if (why)
			buf_puts(why, "this wiki has no accounts yet, so everyone may read and edit everything: create an "
				      "account first (kennis user add), then restrict a space. ");
		return KN_EINVAL;
	}
	if (read && space_acl_check(db, read, why) < 0)
		return KN_EINVAL;
	if (write && space_acl_check(db, write, why) < 0)
		return KN_EINVAL;
	return 0;
}

int
space_check_new(struct db *db, const char *name, const char *read, const char *write, struct buf *why)
{
	int64_t n = 0;
	struct space sp;
	if (space_name_check(name, 0) < 0) {
		if (why)
			buf_puts(why, "a space name is 1 to 32 of a-z, 0-9 and '-', starting with a letter or digit, and not 'wiki'. ");
		return KN_EINVAL;
	}
	int rc = space_get(db, name, &sp);
	if (rc != KN_ENOTFOUND)
		return rc == 0 ? KN_EEXISTS : rc;
	if (check_lists(db, read, write, why) < 0)
		return KN_EINVAL;
	if (db_query_int(&n, db, "SELECT count(*) FROM spaces", "") == 0 && n >= SPACES_MAX) {
		if (why)
			buf_printf(why, "a wiki has at most %d spaces. ", SPACES_MAX);
		return KN_ETOOBIG;
	}
	return 0;
}

int
space_add(struct db *db, const char *name, const char *read, const char *write, struct buf *why)
{
	int rc = space_check_new(db, name, read, write, why);
	if (rc < 0)
		return rc;
	rc = db_exec(db, "INSERT INTO spaces(name, read_acl, write_acl, created) VALUES($1, $2, $3, $4)", "sssi", name,
		     read, write, (int64_t)time(NULL));
	return rc < 0 ? rc : 0;
}

int
space_set(struct db *db, const char *name, const char *read, const char *write, struct buf *why)
{
	struct space sp;
	if (name && strcmp(name, SPACE_WIKI) == 0) {
		if (why)
			buf_puts(why, "the wiki space follows the roles (readers read, editors write); it has no lists. ");
		return KN_EINVAL;
	}
	int rc = space_get(db, name, &sp);
	if (rc < 0)
		return rc;
	if (check_lists(db, read ? read : sp.read, write ? write : sp.write, why) < 0)
		return KN_EINVAL;
	rc = db_exec(db, "UPDATE spaces SET read_acl = $2, write_acl = $3 WHERE name = $1", "sss", name, read ? read : sp.read,
		     write ? write : sp.write);
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

int
space_remove(struct db *db, const char *name)
{
	if (space_name_check(name, 0) < 0)
		return KN_ENOTFOUND;
	int rc = db_exec(db, "DELETE FROM spaces WHERE name = $1", "s", name);
	return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
}

int
space_list(struct db *db, struct space **out, size_t *n)
{
	struct db_res *r = NULL;
	size_t cap = 8;
	*out = xcalloc(cap, sizeof(**out));
	*n = 1;
	space_wiki(&(*out)[0]);
	int rc = db_query(&r, db, "SELECT name, read_acl, write_acl, created FROM spaces ORDER BY name", "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		if (*n == cap)
			*out = xrealloc(*out, (cap *= 2) * sizeof(**out));
		fill_space(r, &(*out)[(*n)++]);
		rc = 0;
	}
	db_res_free(r);
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return rc < 0 ? rc : 0;
}

void
space_gitdir(char *out, size_t n, const char *data_dir, const char *name)
{
	if (strcmp(name, SPACE_WIKI) == 0)
		snprintf(out, n, "%s/wiki.git", data_dir);
	else
		snprintf(out, n, "%s/spaces/%s.git", data_dir, name);
}

int
space_repos(struct db *db, const char *data_dir, struct index_repo **out, size_t *n)
{
	struct space *all = NULL;
	size_t count = 0;
	*out = NULL;
	*n = 0;
	int rc = space_list(db, &all, &count);
	if (rc < 0)
		return rc;
	*out = xcalloc(count, sizeof(**out));
	for (size_t i = 0; i < count; i++) {
		char dir[4200];
		space_gitdir(dir, sizeof(dir), data_dir, all[i].name);
		(*out)[i].name = xstrdup(all[i].name);
		(*out)[i].gitdir = xstrdup(dir);
	}
	*n = count;
	free(all);
	return 0;
}

void
space_repos_free(struct index_repo *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)v[i].name);
		free((char *)v[i].gitdir);
	}
	free(v);
}

/* ---- groups ----------------------------------------------------------------------------- */

int
group_add(struct db *db, const char *group, const char *const *users, size_t nusers, struct buf *why)
{
	int rc;
	if (group_name_check(group) < 0) {
		if (why)
			buf_puts(why, "a group name is 1 to 64 of a-z, 0-9, '-', '_' and '.', starting with a letter or digit. ");
		return KN_EINVAL;
	}
	if ((rc = db_begin(db)) < 0)
		return rc;
	rc = db_exec(db, "INSERT INTO groups(name, created) VALUES($1, $2) ON CONFLICT(name) DO NOTHING", "si", group,
		     (int64_t)time(NULL));
	for (size_t i = 0; rc >= 0 && i < nusers; i++) {
		int64_t uid;
		rc = db_query_int(&uid, db, "SELECT id FROM users WHERE name = $1", "s", users[i]);
		if (rc == KN_ENOTFOUND) {
			if (why)
				buf_printf(why, "there is no user '%s'. ", users[i]);
			rc = KN_EINVAL;
			break;
		}
		if (rc >= 0)
			rc = db_exec(db, "INSERT INTO group_members(grp, user_id) VALUES($1, $2) ON CONFLICT DO NOTHING", "si",
				     group, uid);
	}
	if (rc < 0) {
		db_rollback(db);
		return rc;
	}
	return db_commit(db);
}

int
group_del(struct db *db, const char *group, const char *const *users, size_t nusers)
{
	int rc = 0, changed = 0;
	if (group_name_check(group) < 0)
		return KN_ENOTFOUND;
	if (nusers == 0) {
		rc = db_exec(db, "DELETE FROM groups WHERE name = $1", "s", group);
		return rc < 0 ? rc : rc == 0 ? KN_ENOTFOUND : 0;
	}
	for (size_t i = 0; rc >= 0 && i < nusers; i++) {
		rc = db_exec(db,
			     "DELETE FROM group_members WHERE grp = $1 AND user_id IN (SELECT id FROM users WHERE name = $2)",
			     "ss", group, users[i]);
		changed += rc > 0 ? rc : 0;
	}
	return rc < 0 ? rc : changed ? 0 : KN_ENOTFOUND;
}

int
group_list(struct db *db, int (*cb)(const char *group, const char *members, void *payload), void *payload)
{
	struct db_res *r = NULL;
	struct buf members = BUF_INIT;
	char *current = NULL;
	int rc = db_query(&r, db,
			  "SELECT g.name, u.name FROM groups g LEFT JOIN group_members m ON m.grp = g.name "
			  "LEFT JOIN users u ON u.id = m.user_id ORDER BY g.name, u.name",
			  "");
	while (rc == 0 && (rc = db_row(r)) == 1) {
		const char *g = db_col_text(r, 0), *u = db_col_text(r, 1);
		rc = 0;
		if (current && strcmp(current, g) != 0) {
			rc = cb(current, buf_cstr(&members), payload);
			buf_reset(&members);
			free(current);
			current = NULL;
		}
		if (!current)
			current = xstrdup(g);
		if (u) {
			if (members.len)
				buf_putc(&members, ',');
			buf_puts(&members, u);
		}
	}
	if (rc == 0 && current)
		rc = cb(current, buf_cstr(&members), payload);
	free(current);
	buf_free(&members);
	db_res_free(r);
	return rc;
}

int
viewer_load_groups(struct db *db, struct viewer *v, struct arena *a)
{
	struct db_res *r = NULL;
	v->ngroups = 0;
	if (!v->user)
		return 0;
	int rc = db_query(&r, db, "SELECT grp FROM group_members WHERE user_id = $1 ORDER BY grp", "i", v->user->id);
	while (rc == 0 && (rc = db_row(r)) == 1) {
		rc = 0;
		if (v->ngroups < VIEWER_GROUPS_MAX)
			v->groups[v->ngroups++] = arena_strdup(a, db_col_text(r, 0));
	}
	db_res_free(r);
	return rc < 0 ? rc : 0;
}

/* ---- the rule ----------------------------------------------------------------------------- */

static int
match_entry(const char *e, size_t n, void *p)
{
	const struct viewer *v = p;
	int role;
	if (is_role_word(e, n, &role))
		return v->role >= role;
	if (!v->user)
		return 0;
	if (e[0] == '@') {
		for (size_t i = 0; i < v->ngroups; i++)
			if (strlen(v->groups[i]) == n - 1 && strncmp(v->groups[i], e + 1, n - 1) == 0)
				return 1;
		return 0;
	}
	/* user names are case-insensitive, as at login */
	return strlen(v->user->name) == n && strncasecmp(v->user->name, e, n) == 0;
}

static int
is_admin(const struct viewer *v)
{
	return v->user && v->role >= ROLE_ADMIN;
}

int
space_may_read(const struct space *sp, const struct viewer *v)
{
	if (!sp || !v)
		return 0;
	if (is_admin(v))
		return 1;
	if (space_acl_is_all(sp->read))
		return v->role >= ROLE_READER;
	/* A restricted space is for the people its list names: never for an anonymous
	 * visitor, whatever anonymous read or open mode say. */
	if (!v->user)
		return 0;
	return acl_each(sp->read, match_entry, (void *)v) == 1;
}

int
space_may_write(const struct space *sp, const struct viewer *v)
{
	if (!space_may_read(sp, v))
		return 0;
	if (is_admin(v))
		return 1;
	/* Anonymous visitors write only in open mode (no accounts: everyone is an editor). */
	if (!v->user && v->role < ROLE_EDITOR)
		return 0;
	if (space_acl_is_all(sp->write))
		return 1;
	return acl_each(sp->write, match_entry, (void *)v) == 1;
}
