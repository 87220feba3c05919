/* spaces.h: spaces (the wiki, and confidential spaces that are each their own bare
 * repository), groups of users, and the one rule that says who may read or write a space. */
#ifndef KENNIS_SPACES_H
#define KENNIS_SPACES_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "db.h"
#include "kennis.h"

#define SPACE_WIKI "wiki"   /* the space every wiki has: DATA/wiki.git, governed by the roles */
#define SPACE_NAME_MAX 32
#define SPACES_MAX 250      /* further spaces a wiki may have */
#define SPACE_ACL_MAX 1024  /* bytes of a read or write list */
#define GROUP_NAME_MAX 64
#define VIEWER_GROUPS_MAX 64

/* A space and who may use it. An access list is "all" or comma-separated entries: a user
 * name, "@group", a role ("readers", "editors", "admins"). */
struct space {
	char name[SPACE_NAME_MAX + 1];
	char read[SPACE_ACL_MAX + 1];
	char write[SPACE_ACL_MAX + 1];
	int64_t created;
};

/* Who is asking: the account (NULL: anonymous), the role the request has (anonymous read
 * and open mode included) and the groups the account is in. */
struct viewer {
	const struct user *user;
	int role;
	const char *groups[VIEWER_GROUPS_MAX];
	size_t ngroups;
};

/* The schema of spaces and groups in the state database (after auth's). 0 or KN_EIO. */
int spaces_db_init(struct db *db);

/* A space name: 1..32 of [a-z0-9-], starting with a letter or digit, not "wiki" unless
 * `allow_wiki`. 0 or KN_EINVAL. */
int space_name_check(const char *name, int allow_wiki);
int group_name_check(const char *name);

/* Check an access list: its syntax, and that every user and group in it exists. On
 * KN_EINVAL `why` (if not NULL) gets a sentence for the person who typed it. */
int space_acl_check(struct db *db, const char *acl, struct buf *why);
/* Is the list "all" (the space is not restricted)? */
int space_acl_is_all(const char *acl);

/* The wiki space: read "all", write "editors" (what the roles always meant). */
void space_wiki(struct space *out);

/* Spaces. space_get knows "wiki" too. KN_ENOTFOUND, KN_EEXISTS, KN_EINVAL (a bad name or
 * list; `why` as above), KN_EIO. */
int space_get(struct db *db, const char *name, struct space *out);
int space_add(struct db *db, const char *name, const char *read, const char *write, struct buf *why);
/* Would space_add accept these (name free and valid, lists valid)? The same answers. */
int space_check_new(struct db *db, const char *name, const char *read, const char *write, struct buf *why);
/* Change the lists; NULL keeps one as it is. */
int space_set(struct db *db, const char *name, const char *read, const char *write, struct buf *why);
int space_remove(struct db *db, const char *name);
/* All spaces, "wiki" first, then by name; caller frees *out. */
int space_list(struct db *db, struct space **out, size_t *n);

/* Groups. group_add creates the group if needed and adds the users (which must exist);
 * group_del removes the users, or the whole group when nusers is 0. */
int group_add(struct db *db, const char *group, const char *const *users, size_t nusers, struct buf *why);
int group_del(struct db *db, const char *group, const char *const *users, size_t nusers);
/* cb(group, members as "a,b,c") for every group, by name. */
int group_list(struct db *db, int (*cb)(const char *group, const char *members, void *payload), void *payload);

/* Fill v->groups with the groups of v->user (strings in arena `a`). 0 or KN_EIO. */
int viewer_load_groups(struct db *db, struct viewer *v, struct arena *a);

/* Every space with its repository, the wiki first: DATA/wiki.git and DATA/spaces/NAME.git
 * (for the index, check and reindex). Caller frees with space_repos_free. 0 or KN_EIO. */
struct index_repo;
int space_repos(struct db *db, const char *data_dir, struct index_repo **out, size_t *n);
void space_repos_free(struct index_repo *v, size_t n);
/* The repository of space `name` into `out`: DATA/wiki.git or DATA/spaces/NAME.git. */
void space_gitdir(char *out, size_t n, const char *data_dir, const char *name);

/* THE rule. May viewer `v` read space `sp`? Admins read and write every space; a list of
 * "all" lets in whoever may read the wiki (anonymous readers too, when anonymous read is
 * on); any other list lets in only logged-in users it names, by name, group or role. */
int space_may_read(const struct space *sp, const struct viewer *v);
/* May `v` change space `sp`? Only if it may read it and the write list names it. */
int space_may_write(const struct space *sp, const struct viewer *v);

#endif
