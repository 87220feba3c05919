/* test_spaces.c: space and group registry, access-list checks, and the read/write rule
 * (SQLite; PostgreSQL too when KENNIS_TEST_PG is set). */
#include "tap.h"

#include <stdlib.h>
#include <unistd.h>

#include "spaces.h"

static struct user ada = { 1, "ada", "Ada", "", ROLE_EDITOR };
static struct user bob = { 2, "bob", "Bob", "", ROLE_READER };
static struct user cy = { 3, "cy", "Cy", "", ROLE_ADMIN };
static struct user dee = { 4, "Dee", "Dee", "", ROLE_EDITOR };

static struct viewer
viewer_of(struct db *db, struct arena *a, const struct user *u, int role)
{
	struct viewer v = { u, role, { 0 }, 0 };
	viewer_load_groups(db, &v, a);
	return v;
}

static void
rule(void)
{
	struct space fin = { "finance", "@finance,dee", "@finance-leads", 0 };
	struct space pub = { "handbook", "all", "admins", 0 };
	struct space team = { "legal", "@legal", "all", 0 };
	struct space wiki;
	space_wiki(&wiki);
	const char *g_fin[] = { "finance" }, *g_lead[] = { "finance", "finance-leads" }, *g_legal[] = { "legal" };
	struct viewer anon_off = { NULL, ROLE_NONE, { 0 }, 0 }, anon_on = { NULL, ROLE_READER, { 0 }, 0 };
	struct viewer open = { NULL, ROLE_EDITOR, { 0 }, 0 };
	struct viewer v_ada = { &ada, ROLE_EDITOR, { g_fin[0] }, 1 };
	struct viewer v_lead = { &ada, ROLE_EDITOR, { g_lead[0], g_lead[1] }, 2 };
	struct viewer v_bob = { &bob, ROLE_READER, { 0 }, 0 };
	struct viewer v_legal = { &bob, ROLE_READER, { g_legal[0] }, 1 };
	struct viewer v_cy = { &cy, ROLE_ADMIN, { 0 }, 0 };
	struct viewer v_dee = { &dee, ROLE_EDITOR, { 0 }, 0 };

	ok(space_may_read(&wiki, &v_bob) && !space_may_write(&wiki, &v_bob), "wiki: a reader reads, does not write");
	ok(space_may_write(&wiki, &v_ada), "wiki: an editor writes");
	ok(!space_may_read(&wiki, &anon_off), "wiki: anonymous without anonymous read reads nothing");
	ok(space_may_read(&wiki, &anon_on) && !space_may_write(&wiki, &anon_on), "wiki: anonymous read reads, never writes");
	ok(space_may_write(&wiki, &open), "wiki: open mode writes");
	ok(!space_may_read(&fin, &anon_on) && !space_may_read(&fin, &open), "restricted: never anonymous (anonymous read, open mode)");
	ok(!space_may_read(&fin, &v_bob), "restricted: a user it does not name reads nothing");
	ok(space_may_read(&fin, &v_ada) && !space_may_write(&fin, &v_ada), "restricted: a group member reads, writes only if listed");
	ok(space_may_write(&fin, &v_lead), "restricted: a member of the write group writes");
	ok(space_may_read(&fin, &v_dee), "restricted: a user named in the list (any case of the name) reads");
	ok(space_may_read(&fin, &v_cy) && space_may_write(&fin, &v_cy), "admins read and write every space");
	ok(space_may_read(&pub, &anon_on) && !space_may_write(&pub, &v_ada), "an open space with admin-only writes");
	ok(space_may_read(&team, &v_legal) && space_may_write(&team, &v_legal),
	   "write 'all' lets every reader of the space write (a reader-role member included)");
	ok(!space_may_write(&team, &v_bob) && !space_may_read(&team, &v_bob), "...but not someone outside it");
	struct space byrole = { "staff", "editors", "editors", 0 };
	ok(!space_may_read(&byrole, &v_bob) && space_may_read(&byrole, &v_ada) && !space_may_read(&byrole, &open),
	   "a role in a list: by role, and never anonymous");
	ok(!space_may_read(NULL, &v_cy) && !space_may_read(&fin, NULL), "NULL space or viewer: no");
}

static void
registry(const char *target, const char *label)
{
	struct db *db = NULL;
	struct buf why = BUF_INIT;
	struct space sp, *all = NULL;
	size_t n = 0;
	struct arena *a = arena_new();

	ok(db_open(&db, target) == 0, "%s: open", label);
	if (!db)
		return;
	db_script(db, "DROP TABLE IF EXISTS group_members; DROP TABLE IF EXISTS groups; DROP TABLE IF EXISTS spaces;"
		      "DROP TABLE IF EXISTS users; DROP TABLE IF EXISTS db_schema;");
	db_script(db, "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)");
	ok(spaces_db_init(db) == 0, "%s: schema", label);

	ok(space_add(db, "finance", "@finance", "@finance", &why) == KN_EINVAL && strstr(why.ptr, "no accounts"),
	   "%s: an open wiki cannot restrict a space: %s", label, buf_cstr(&why));
	buf_reset(&why);
	ok(space_add(db, "handbook", "all", "editors", &why) == 0, "%s: ...but may have an open space", label);
	db_exec(db, "INSERT INTO users(id, name) VALUES(1, 'ada'), (2, 'bob'), (3, 'cy'), (4, 'Dee')", "");

	ok(space_add(db, "finance", "@finance", "@finance", &why) == KN_EINVAL && strstr(why.ptr, "no group 'finance'"),
	   "%s: a list naming a missing group is refused: %s", label, buf_cstr(&why));
	buf_reset(&why);
	const char *fin[] = { "ada", "Dee" }, *bad[] = { "ada", "zed" };
	ok(group_add(db, "finance", bad, 2, &why) == KN_EINVAL && strstr(why.ptr, "zed"), "%s: group with a missing user refused",
	   label);
	buf_reset(&why);
	ok(group_add(db, "finance", fin, 2, &why) == 0, "%s: group finance", label);
	ok(space_add(db, "finance", "@finance, cy", "@finance", &why) == 0, "%s: space finance: %s", label, buf_cstr(&why));
	ok(space_add(db, "finance", "all", "all", &why) == KN_EEXISTS, "%s: twice is KN_EEXISTS", label);
	ok(space_add(db, "wiki", "all", "all", &why) == KN_EINVAL, "%s: 'wiki' is taken", label);
	ok(space_add(db, "Fin", "all", "all", &why) == KN_EINVAL && space_add(db, "-x", "all", "all", &why) == KN_EINVAL &&
	   space_add(db, "a/b", "all", "all", &why) == KN_EINVAL && space_add(db, "", "all", "all", &why) == KN_EINVAL &&
	   space_add(db, "x.git", "all", "all", &why) == KN_EINVAL,
	   "%s: bad names refused", label);
	buf_reset(&why);
	ok(space_add(db, "x", "all,ada", "all", &why) == KN_EINVAL && space_add(db, "x", ",,", "all", &why) == KN_EINVAL &&
	   space_add(db, "x", "@", "all", &why) == KN_EINVAL && space_add(db, "x", "ada;bob", "all", &why) == KN_EINVAL,
	   "%s: bad lists refused: %s", label, buf_cstr(&why));
	ok(space_get(db, "finance", &sp) == 0 && strcmp(sp.read, "@finance, cy") == 0, "%s: get", label);
	ok(space_get(db, "wiki", &sp) == 0 && strcmp(sp.write, "editors") == 0, "%s: get wiki", label);
	ok(space_get(db, "nope", &sp) == KN_ENOTFOUND && space_get(db, "../x", &sp) == KN_ENOTFOUND, "%s: get unknown", label);
	ok(space_set(db, "finance", NULL, "@finance,bob", &why) == 0 && space_get(db, "finance", &sp) == 0 &&
	   strcmp(sp.read, "@finance, cy") == 0 && strcmp(sp.write, "@finance,bob") == 0, "%s: set one list", label);
	ok(space_set(db, "wiki", "@finance", NULL, &why) == KN_EINVAL, "%s: the wiki has no lists", label);
	ok(space_list(db, &all, &n) == 0 && n == 3 && strcmp(all[0].name, "wiki") == 0 && strcmp(all[1].name, "finance") == 0,
	   "%s: list: wiki first, then by name (%zu)", label, n);
	free(all);

	struct viewer v = viewer_of(db, a, &ada, ROLE_EDITOR);
	ok(v.ngroups == 1 && strcmp(v.groups[0], "finance") == 0, "%s: groups of a user", label);
	ok(space_get(db, "finance", &sp) == 0 && space_may_read(&sp, &v), "%s: ada reads finance", label);
	v = viewer_of(db, a, &bob, ROLE_READER);
	ok(!space_may_read(&sp, &v), "%s: bob does not", label);
	const char *just_dee[] = { "Dee" };
	ok(group_del(db, "finance", just_dee, 1) == 0, "%s: remove a member", label);
	v = viewer_of(db, a, &dee, ROLE_EDITOR);
	ok(v.ngroups == 0 && !space_may_read(&sp, &v), "%s: a removed member reads no more", label);
	db_exec(db, "PRAGMA foreign_keys=ON", "");
	ok(db_exec(db, "DELETE FROM users WHERE name = 'ada'", "") == 1, "%s: delete a user", label);
	int64_t left = -1;
	ok(db_query_int(&left, db, "SELECT count(*) FROM group_members", "") == 0 && left == 0,
	   "%s: a deleted user leaves no membership behind", label);
	ok(group_del(db, "finance", NULL, 0) == 0 && group_del(db, "finance", NULL, 0) == KN_ENOTFOUND, "%s: delete a group", label);
	ok(space_remove(db, "finance") == 0 && space_get(db, "finance", &sp) == KN_ENOTFOUND, "%s: remove a space", label);
	db_script(db, "DROP TABLE group_members; DROP TABLE groups; DROP TABLE spaces; DROP TABLE users; DROP TABLE db_schema;");
	db_close(db);
	buf_free(&why);
	arena_free(a);
}

int
main(void)
{
	char path[] = "/tmp/kennis-test-spaces-XXXXXX";
	int fd = mkstemp(path);
	if (fd >= 0)
		close(fd);
	rule();
	registry(path, "sqlite");
	unlink(path);
	const char *pg = getenv("KENNIS_TEST_PG");
	if (pg && *pg)
		registry(pg, "postgresql");
	return tap_done();
}
