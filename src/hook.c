/* hook.c: the push rules, applied inside git receive-pack (quarantine-aware). */
#include "hook.h"

#include <git2.h>
#include <string.h>

#include "kennis.h"
#include "store.h"

/* Inside pre-receive the new objects sit in a quarantine directory that git names in the
 * environment (GIT_OBJECT_DIRECTORY, GIT_ALTERNATE_OBJECT_DIRECTORIES): open the
 * repository from the environment so they are visible. */
static git_repository *
open_from_env(FILE *msg)
{
	git_repository *repo = NULL;
	if (git_repository_open_ext(&repo, NULL, GIT_REPOSITORY_OPEN_FROM_ENV, NULL) < 0) {
		const git_error *e = git_error_last();
		fprintf(msg, "kennis: cannot open the repository: %s\n", e ? e->message : "?");
		return NULL;
	}
	return repo;
}

static int
check_update(git_repository *repo, const char *old_hex, const char *new_hex, const char *ref, FILE *msg)
{
	git_oid old_id, new_id;
	if (git_oid_fromstr(&old_id, old_hex) < 0 || git_oid_fromstr(&new_id, new_hex) < 0) {
		fprintf(msg, "kennis: malformed ref update for %s\n", ref);
		return 1;
	}
	if (strcmp(ref, STORE_BRANCH) != 0) {
		fprintf(msg, "kennis: only the main branch is the wiki; push to main (not %s)\n", ref);
		return 1;
	}
	if (git_oid_is_zero(&new_id)) {
		fprintf(msg, "kennis: deleting main is not allowed: the wiki keeps all history\n");
		return 1;
	}
	if (!git_oid_is_zero(&old_id) && !git_oid_equal(&old_id, &new_id) &&
	    git_graph_descendant_of(repo, &new_id, &old_id) != 1) {
		fprintf(msg, "kennis: rewriting main's history (force-push) is not allowed;\n"
			     "kennis: pull, merge or rebase your commits on top, and push again\n");
		return 1;
	}
	return 0;
}

int
hook_pre_receive(FILE *in, FILE *msg)
{
	char line[512], old_hex[64], new_hex[64], ref[400];
	int refused = 0;
	git_repository *repo = open_from_env(msg);
	if (!repo)
		return 1;
	while (fgets(line, sizeof(line), in)) {
		if (sscanf(line, "%63s %63s %399s", old_hex, new_hex, ref) != 3) {
			fprintf(msg, "kennis: malformed hook input\n");
			refused = 1;
			continue;
		}
		if (check_update(repo, old_hex, new_hex, ref, msg)) {
			refused = 1;
			log_warn("push refused: %s %.10s..%.10s", ref, old_hex, new_hex);
		}
	}
	git_repository_free(repo);
	return refused;
}

int
hook_post_receive(FILE *in, FILE *msg)
{
	char line[512];
	/* The server resolves main on every request, so a push is on the web at once.
	 * (Derived indexes will catch up from here.) */
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		log_info("push: %s", line);
	}
	return 0;
}
