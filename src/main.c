/* main.c: the kennis command line: init, serve, hook. */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cmd.h"
#include "hook.h"
#include "index.h"
#include "kennis.h"
#include "links.h"
#include "locks.h"
#include "forward.h"
#include "render.h"
#include "replica.h"
#include "search.h"
#include "server.h"
#include "spaces.h"
#include "state.h"
#include "store.h"
#include "webhook.h"

static const char usage[] =
	"usage: kennis <command> [options]\n"
	"\n"
	"commands:\n"
	"  init DIR      create a data directory with a starter wiki (--empty: without; --replica DIR: an empty one for a replica)\n"
	"  import DIR SOURCE  create a data directory from an existing wiki's git history\n"
	"  serve         serve a data directory over HTTP\n"
	"  user          add, list, change and delete accounts\n"
	"  token         personal access tokens for git and the API\n"
	"  space         confidential spaces: add, list, set who reads and writes, delete\n"
	"  group         groups of users for space access lists\n"
	"  webhook       signed JSON notifications of changes to other systems (CRM, chat)\n"
	"  notify        the daily digest now; what waits to go out (webhook calls, mails)\n"
	"  reindex       rebuild the search index and page data from wiki.git\n"
	"  check         verify the repository, its locks and the index; exit 1 on damage\n"
	"  promote       make this replica the primary (docs/deploy.md)\n"
	"  hook NAME     run a git hook (installed by init; not for people)\n"
	"\n"
	"Run 'kennis <command> --help' for a command's options.\n";

static const char serve_usage[] =
	"usage: kennis serve [--data DIR] [--listen HOST:PORT] [options]\n"
	"\n"
	"  --data DIR          data directory made by 'kennis init' (default: data)\n"
	"  --listen HOST:PORT  address to listen on (default: 127.0.0.1:8080; port 0 picks one)\n"
	"  --threads N         worker threads (default: number of cores)\n"
	"  --timeout SECONDS   idle connection timeout (default: 30)\n"
	"  --header-timeout SECONDS  time to send a request's whole header block, and to\n"
	"                      send the next one on a kept-alive connection (default: 10)\n"
	"  --min-rate BYTES    slowest request body, bytes a second on average after a grace\n"
	"                      of --header-timeout (default: 500; 0: no minimum)\n"
	"  --per-ip N          connections per client address (default: 256)\n"
	"  --max-conns N       connections in all (default: 0, as many as the open-file limit\n"
	"                      allows: half of it, less a reserve; at most 65536)\n"
	"  --max-form BYTES    largest form body (default: 4194304)\n"
	"  --max-push BYTES    largest git request body (default: 2147483648; 0: no limit)\n"
	"  --cache-mb N        memory for rendered Markdown and backlinks (default: 64; 0: off)\n"
	"  --search-cache-mb N memory for search results shared by all threads (default: 32; 0: off)\n"
	"  --git-cache-mb N    memory for git objects read (trees, commits) in all (default: 64)\n"
	"  --git-map-mb N      memory for the windows of git's pack files mapped at a time\n"
	"                      (default: 128; libgit2's own default is 8 GB: all of it)\n"
	"  --repack-loose N    repack the repository in the background once it holds N loose\n"
	"                      objects (default: 1000; 0: never), looked at every\n"
	"  --repack-check S    S seconds (default: 30)\n"
	"  --exit-after N      exit after serving N requests (for benchmarks and leak checks)\n"
	"  --quiet             log warnings and errors only\n"
	"  --db URL            keep accounts, sessions, spaces and other state in PostgreSQL\n"
	"                      (postgresql://USER:PASSWORD@HOST:PORT/DB; default: DATA/kennis.db)\n"
	"\n"
	"access (also settable in DIR/kennis.conf as 'name = value' lines, without the dashes):\n"
	"  --anonymous-read on|off   let visitors who are not logged in read (default: on only\n"
	"                            while no account exists; then everyone may also edit)\n"
	"  --registration on|off     open self-registration as reader (default: off)\n"
	"  --behind-tls on|off       cookies get the Secure flag (default: off)\n"
	"  --trust-proxy-header NAME single sign-on: take the user from this header (e.g.\n"
	"                            X-Remote-User) when the request comes from --trusted-proxy\n"
	"  --trusted-proxy ADDRS     comma-separated proxy addresses (default: 127.0.0.1)\n"
	"  --proxy-role ROLE         role of users first seen through the proxy (default: reader)\n"
	"  --session-idle SECONDS    log out after this long unused (default: 43200)\n"
	"  --session-max SECONDS     log out after this long in any case (default: 1209600)\n"
	"  --max-file BYTES          largest file a push or upload may add (default: 67108864)\n"
	"  --upload-types LIST       attachment file extensions allowed (default:\n"
	"                            png,jpg,jpeg,gif,webp,svg,pdf,txt,csv,json,zip,docx,xlsx,pptx,eml)\n"
	"  --base-url URL            how people reach this wiki, e.g. https://wiki.example.com: the\n"
	"                            start of absolute links in feeds (default: the --listen address)\n"
	"  --login-address-limit N   failed logins from one client address per hour before it\n"
	"                            must wait (default: 100; an account name allows 5)\n"
	"  --img-src SOURCES         images from other sites pages may show, added to the\n"
	"                            Content-Security-Policy: 'https:' (any https site) or hosts\n"
	"                            ('cdn.example.com *.example.org'); default: none (off)\n"
	"\n"
	"notifications (docs/notifications.md):\n"
	"  --smtp URL                mail server for watchers' mail: smtp://HOST:PORT or\n"
	"                            smtps://HOST:PORT (default: none; watchers have their feed)\n"
	"  --smtp-user NAME, --smtp-password SECRET   login at the mail server (better in kennis.conf)\n"
	"  --mail-from ADDRESS       From of the mails (default: kennis@HOSTNAME)\n"
	"  --digest-at HH:MM|off     when the daily digest goes, local time (default: 07:00)\n"
	"  --webhook-allow-private on|off   let webhooks call private, loopback and link-local\n"
	"                            addresses (default: off)\n"
	"\n"
	"more than one machine (docs/deploy.md; all nodes share one --db postgresql://...):\n"
	"  --primary                 this node is the primary (the default)\n"
	"  --replica-of URL          this node is a replica of the primary at URL (an empty data\n"
	"                            directory is made into one); after a promotion, nodes follow\n"
	"                            the primary the state database names\n"
	"  --node-url URL            how the other nodes reach this one (default: the --listen address)\n"
	"  --sync-replicas N         a save or push is acknowledged once N replicas hold it (default: 0)\n"
	"  --sync-mode warn|refuse   when fewer do within --sync-timeout: acknowledge with a warning\n"
	"                            (default), or answer 503 (the change stays on the primary)\n"
	"  --sync-timeout MS         how long a write waits for the replicas (default: 5000)\n"
	"  --read-wait MS            how long a replica waits for a reader's own last write before\n"
	"                            asking the primary (default: 1000)\n";

static int
self_path(char *out, size_t n)
{
	ssize_t len = readlink("/proc/self/exe", out, n - 1);
	if (len <= 0)
		return -1;
	out[len] = '\0';
	return 0;
}

static int
is_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

static const char init_usage[] =
	"usage: kennis init [--empty] DIR\n"
	"       kennis init --replica DIR\n"
	"\n"
	"Create DIR with DIR/wiki.git: a bare git repository on branch main holding a starter\n"
	"wiki (Home, a how-to, an example customer page, a sidebar).\n"
	"  --empty   no starter commit: main is born by the first push or edit, so an existing\n"
	"            wiki's history can be pushed in as it is (or use 'kennis import DIR SOURCE')\n"
	"  --replica an empty one (no first commit) for a replica: its history comes from the\n"
	"            primary (docs/deploy.md)\n";

static int
cmd_init(int argc, char **argv)
{
	char exe[PATH_MAX], gitdir[PATH_MAX];
	if (argc == 3 && strcmp(argv[1], "--replica") == 0) {
		if (self_path(exe, sizeof(exe)) < 0)
			return 1;
		return replica_init_dir(argv[2], exe, 1) < 0;
	}
	int empty = argc == 3 && strcmp(argv[1], "--empty") == 0;
	const char *dir = argv[argc - 1];
	if (is_help(argc, argv)) {
		fputs(init_usage, stdout);
		return 0;
	}
	if (argc != 2 + empty || dir[0] == '-') {
		fputs(init_usage, stderr);
		return 2;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "kennis: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", dir);
	if (self_path(exe, sizeof(exe)) < 0) {
		fprintf(stderr, "kennis: cannot find my own executable\n");
		return 1;
	}
	int rc = empty ? store_init_with(gitdir, exe, NULL, 0, NULL) : store_init(gitdir, exe);
	if (rc == KN_EEXISTS) {
		fprintf(stderr, "kennis: %s already exists: not touching it\n", gitdir);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "kennis: cannot create the wiki in %s: %s\n", gitdir, kn_strerror(rc));
		return 1;
	}
	printf("kennis: created %s%s (serve it with: kennis serve --data %s)\n", gitdir,
	       empty ? " without pages: push a wiki into it" : "", dir);
	return 0;
}

static int
num_arg(const char *opt, const char *val, unsigned long long *out)
{
	char *end;
	errno = 0;
	*out = val ? strtoull(val, &end, 10) : 0;
	if (!val || *end || errno || val[0] == '-') {
		fprintf(stderr, "kennis: %s needs a number\n", opt);
		return -1;
	}
	return 0;
}

static int
on_off(const char *opt, const char *v, int *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0)
		*out = 1;
	else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0 || strcmp(v, "no") == 0)
		*out = 0;
	else {
		fprintf(stderr, "kennis: %s takes on or off\n", opt);
		return -1;
	}
	return 0;
}

/* Options that are not numbers. Returns 1 if `o` was one of them, -1 on a bad value. */
static int
parse_access(const char *o, const char *v, struct config *cfg)
{
	if (strcmp(o, "--anonymous-read") == 0)
		return on_off(o, v, &cfg->anon_read) < 0 ? -1 : 1;
	if (strcmp(o, "--registration") == 0)
		return on_off(o, v, &cfg->registration) < 0 ? -1 : 1;
	if (strcmp(o, "--behind-tls") == 0)
		return on_off(o, v, &cfg->behind_tls) < 0 ? -1 : 1;
	if (strcmp(o, "--trust-proxy-header") == 0) {
		cfg->proxy_header = v;
		return 1;
	}
	if (strcmp(o, "--trusted-proxy") == 0) {
		cfg->proxy_from = v;
		return 1;
	}
	if (strcmp(o, "--base-url") == 0) {
		const char *why;
		char *url = req_base_url_parse(v, &why);
		if (!url) {
			fprintf(stderr, "kennis: bad --base-url '%s': %s\n", v, why);
			return -1;
		}
		free((char *)cfg->base_url); /* the flags are read twice (see cmd_serve) */
		cfg->base_url = url;
		return 1;
	}
	if (strcmp(o, "--img-src") == 0) {
		const char *why;
		char *src = req_img_src_parse(v, &why);
		if (!src) {
			fprintf(stderr, "kennis: bad --img-src '%s': %s\n", v, why);
			return -1;
		}
		free((char *)cfg->img_src); /* the flags are read twice (see cmd_serve) */
		cfg->img_src = src;
		return 1;
	}
	if (strcmp(o, "--upload-types") == 0) {
		cfg->upload_types = v;
		return 1;
	}
	int node = replica_parse_option(o, v, cfg);
	if (node != 0)
		return node;
	if (strcmp(o, "--db") == 0) {
		if (!db_is_postgres_url(v)) {
			fprintf(stderr, "kennis: --db takes a PostgreSQL URL (postgresql://USER@HOST:PORT/DB); without it\n"
					"kennis keeps its state in DATA/kennis.db\n");
			return -1;
		}
		cfg->db_url = v;
		return 1;
	}
	if (strcmp(o, "--smtp") == 0) {
		if (strncmp(v, "smtp://", 7) != 0 && strncmp(v, "smtps://", 8) != 0) {
			fprintf(stderr, "kennis: --smtp takes smtp://HOST:PORT or smtps://HOST:PORT\n");
			return -1;
		}
		cfg->smtp_url = v;
		return 1;
	}
	if (strcmp(o, "--smtp-user") == 0) {
		cfg->smtp_user = v;
		return 1;
	}
	if (strcmp(o, "--smtp-password") == 0) {
		cfg->smtp_password = v;
		return 1;
	}
	if (strcmp(o, "--mail-from") == 0) {
		cfg->mail_from = v;
		return 1;
	}
	if (strcmp(o, "--digest-at") == 0) {
		unsigned h, m;
		char end;
		if (strcmp(v, "off") == 0)
			cfg->digest_minute = -1;
		else if (sscanf(v, "%2u:%2u%c", &h, &m, &end) == 2 && h < 24 && m < 60)
			cfg->digest_minute = (int)(h * 60 + m);
		else {
			fprintf(stderr, "kennis: --digest-at takes HH:MM (local time) or off\n");
			return -1;
		}
		return 1;
	}
	if (strcmp(o, "--webhook-allow-private") == 0)
		return on_off(o, v, &cfg->webhook_private) < 0 ? -1 : 1;
	if (strcmp(o, "--proxy-role") == 0) {
		cfg->proxy_role = role_parse(v);
		if (cfg->proxy_role == ROLE_NONE) {
			fprintf(stderr, "kennis: --proxy-role must be reader, editor or admin\n");
			return -1;
		}
		return 1;
	}
	return 0;
}

static int
parse_serve(int argc, char **argv, struct config *cfg)
{
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long long n = 0;
		int a;
		if (strcmp(o, "--quiet") == 0) {
			log_min_level = LOG_WARN;
			continue;
		}
		if (strcmp(o, "--primary") == 0) {
			cfg->replica_of = NULL;
			continue;
		}
		if (!v) {
			fprintf(stderr, "kennis: unknown option or missing value: %s\n%s", o, serve_usage);
			return -1;
		}
		i++;
		if ((a = parse_access(o, v, cfg)) != 0) {
			if (a < 0)
				return -1;
		} else if (strcmp(o, "--data") == 0)
			cfg->data_dir = v;
		else if (strcmp(o, "--listen") == 0)
			cfg->listen = v;
		else if (num_arg(o, v, &n) < 0)
			return -1;
		else if (strcmp(o, "--threads") == 0 && n > 0 && n <= 256)
			cfg->threads = (unsigned)n;
		else if (strcmp(o, "--timeout") == 0 && n > 0)
			cfg->timeout = (unsigned)n;
		else if (strcmp(o, "--per-ip") == 0 && n > 0)
			cfg->per_ip = (unsigned)n;
		else if (strcmp(o, "--max-conns") == 0 && n <= 1000000)
			cfg->max_conns = (unsigned)n;
		else if (strcmp(o, "--header-timeout") == 0 && n > 0 && n <= 3600)
			cfg->header_timeout = (unsigned)n;
		else if (strcmp(o, "--min-rate") == 0 && n <= 1000000000)
			cfg->min_rate = (unsigned)n;
		else if (strcmp(o, "--max-form") == 0 && n > 0)
			cfg->max_form = (size_t)n;
		else if (strcmp(o, "--max-push") == 0)
			cfg->max_git_body = (size_t)n;
		else if (strcmp(o, "--session-idle") == 0 && n > 0)
			cfg->session_idle = (long long)n;
		else if (strcmp(o, "--session-max") == 0 && n > 0)
			cfg->session_max = (long long)n;
		else if (strcmp(o, "--login-address-limit") == 0 && n > 0 && n <= 1000000)
			cfg->login_address_limit = (unsigned)n;
		else if (strcmp(o, "--max-file") == 0 && n > 0)
			cfg->max_file = (size_t)n;
		else if (strcmp(o, "--cache-mb") == 0 && n < (1u << 20))
			cfg->cache_bytes = (size_t)n << 20;
		else if (strcmp(o, "--search-cache-mb") == 0 && n < (1u << 20))
			cfg->search_cache_bytes = (size_t)n << 20;
		else if (strcmp(o, "--git-cache-mb") == 0 && n > 0 && n < (1u << 20))
			cfg->git_cache_bytes = (size_t)n << 20;
		else if (strcmp(o, "--git-map-mb") == 0 && n >= 8 && n < (1u << 20))
			cfg->git_map_bytes = (size_t)n << 20;
		else if (strcmp(o, "--repack-loose") == 0 && n <= 10000000)
			cfg->repack_loose = (unsigned)n;
		else if (strcmp(o, "--repack-check") == 0 && n > 0 && n <= 86400)
			cfg->repack_check = (unsigned)n;
		else if (strcmp(o, "--exit-after") == 0)
			cfg->exit_after = (unsigned long)n;
		else {
			fprintf(stderr, "kennis: bad option or value: %s %s\n%s", o, v, serve_usage);
			return -1;
		}
	}
	return 0;
}

/* DIR/kennis.conf: "name = value" lines ('#' comments), the serve options without "--". */
static int
read_conf(struct config *cfg)
{
	char path[4096], line[1024];
	static char *keep[64]; /* values must outlive this call: the config points into them */
	static int nkeep;
	snprintf(path, sizeof(path), "%s/kennis.conf", cfg->data_dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int rc = 0, lineno = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line + strspn(line, " \t"), *eq = strchr(p, '=');
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (!eq || nkeep >= 62) {
			fprintf(stderr, "kennis: %s:%d: want 'name = value'\n", path, lineno);
			rc = -1;
			break;
		}
		char *k = p, *v = eq + 1;
		char *ke = eq;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = '\0';
		v += strspn(v, " \t");
		v[strcspn(v, "\r\n")] = '\0';
		char *opt = keep[nkeep++] = malloc(strlen(k) + 3);
		char *val = keep[nkeep++] = strdup(v);
		if (!opt || !val)
			abort();
		sprintf(opt, "--%s", k);
		char *args[] = { "serve", opt, val };
		if (strcmp(opt, "--data") == 0 || parse_serve(3, args, cfg) < 0) {
			fprintf(stderr, "kennis: %s:%d: bad setting '%s'\n", path, lineno, k);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

static int
cmd_serve(int argc, char **argv)
{
	static char exe[PATH_MAX], gitdir[PATH_MAX + 16], data[PATH_MAX];
	struct config cfg = {
		.data_dir = "data",
		.listen = "127.0.0.1:8080",
		.max_form = 4u << 20,
		.max_git_body = 2ull << 30,
		.threads = (unsigned)sysconf(_SC_NPROCESSORS_ONLN),
		.per_ip = 256,
		.timeout = 30,
		.header_timeout = 10,
		.min_rate = 500,
		.cache_bytes = 64u << 20,
		.search_cache_bytes = 32u << 20,
		.git_cache_bytes = 64u << 20,
		.git_map_bytes = 128u << 20,
		.repack_loose = 1000,
		.repack_check = 30,
		.anon_read = -1,
		.proxy_from = "127.0.0.1",
		.proxy_role = ROLE_READER,
		.session_idle = 12 * 3600,
		.session_max = 14 * 24 * 3600,
		.max_file = 64u << 20,
		.upload_types = "png,jpg,jpeg,gif,webp,svg,pdf,txt,csv,json,zip,docx,xlsx,pptx,eml",
		.login_address_limit = AUTH_LOGIN_ADDRESS_LIMIT,
		.digest_minute = 7 * 60,
	};
	struct store *st = NULL;
	int rc;
	if (is_help(argc, argv)) {
		fputs(serve_usage, stdout);
		return 0;
	}
	/* --data first (the config file lives there), then the file, then the flags again so
	 * they win. */
	if (parse_serve(argc, argv, &cfg) < 0 || read_conf(&cfg) < 0 || parse_serve(argc, argv, &cfg) < 0)
		return 2;
	if (self_path(exe, sizeof(exe)) < 0) {
		fprintf(stderr, "kennis: cannot find my own executable\n");
		return 1;
	}
	/* A replica may start on an empty (or missing) data directory: it becomes one. */
	if (cfg.replica_of && replica_init_dir(cfg.data_dir, exe, 0) < 0)
		return 1;
	if (!realpath(cfg.data_dir, data)) {
		fprintf(stderr, "kennis: no data directory %s (create one with: kennis init %s)\n", cfg.data_dir, cfg.data_dir);
		return 1;
	}
	snprintf(gitdir, sizeof(gitdir), "%s/wiki.git", data);
	if (store_open(&st, gitdir) < 0 || !store_is_kennis(st)) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (no wiki.git made by kennis init)\n", cfg.data_dir);
		store_close(st);
		return 1;
	}
	store_close(st);
	if (cfg.threads == 0)
		cfg.threads = 1;
	cfg.data_dir = data;
	cfg.git_dir = gitdir;
	/* The objects the server reads were hash-checked when they came in (receive.fsckObjects,
	 * or written by kennis itself); checking every read again was a third of a page view
	 * (`kennis check` still verifies every object). The cache of parsed objects is shared
	 * by all threads: its bound is a setting. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
	git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)cfg.git_cache_bytes);
	/* Pack files are read through mapped windows (1 GB each, 8 GB in all by default): the
	 * pages they touch count as the server's memory, and random page views of a wiki of
	 * 100,000 pages touch all of its 550 MB pack. Smaller windows, and a bound (--git-map-mb)
	 * past which libgit2 unmaps the least recently used. */
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, cfg.git_map_bytes / 4);
	git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, cfg.git_map_bytes);
	cfg.self_exe = exe;
	/* One server per data directory: then no writer of an earlier server is alive, and
	 * the lock files it left can be judged (locks.c). A file system without flock only
	 * costs that clean-up, not the service. */
	if ((rc = locks_hold_data_dir(data)) == KN_ELOCKED) {
		fprintf(stderr, "kennis: another kennis serve is using %s\n", data);
		return 1;
	}
	if (rc < 0)
		log_warn("cannot lock the data directory %s (%s): lock files are not cleared at start-up", data,
			 strerror(errno));
	/* The state database must open (and its schema be current) before anyone is served. */
	struct db *state = NULL;
	struct index_repo *repos = NULL;
	size_t nrepos = 0;
	if (state_open(&state, data, cfg.db_url) < 0 || space_repos(state, data, &repos, &nrepos) < 0) {
		fprintf(stderr, "kennis: cannot open the state database%s (see the log above)\n",
			cfg.db_url ? " (PostgreSQL)" : " DATA/kennis.db");
		db_close(state);
		return 1;
	}
	/* One node, a primary or a replica (replica.c): decided before anything is served. */
	if (replica_startup(&cfg, state) < 0) {
		db_close(state);
		space_repos_free(repos, nrepos);
		return 1;
	}
	db_close(state);
	for (size_t i = 0; rc == 0 && i < nrepos; i++)
		locks_startup(repos[i].gitdir);
	space_repos_free(repos, nrepos);
	webhook_global_init(); /* libcurl, before any thread */
	/* The index is checked and caught up, every space, by the server's indexer thread once
	 * it listens (indexer.c). */
	rc = server_run(&cfg);
	webhook_global_release();
	free((char *)cfg.base_url);
	free((char *)cfg.img_src);
	return rc;
}

/* kennis reindex|check [--data DIR] [--fix] */
static int
cmd_index(int argc, char **argv)
{
	const char *data = "data";
	int check = strcmp(argv[0], "check") == 0, fix = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
			data = argv[++i];
			continue;
		}
		if (check && strcmp(argv[i], "--fix") == 0) {
			fix = 1;
			continue;
		}
		int help = is_help(argc, argv);
		fprintf(help ? stdout : stderr, "usage: kennis %s [--data DIR]%s\n\n%s", argv[0], check ? " [--fix]" : "",
			check ? "Verify that the repository is sound, that no lock file a dead writer left blocks it, and\n"
				"that the index matches main; exit 1 if not. --fix removes stale lock files (not while\n"
				"kennis serve runs: it removes them itself).\n"
			      : "Rebuild the derived index (search, page data, links) from wiki.git.\n");
		return help ? 0 : 2;
	}
	struct db *state = NULL;
	struct index_repo *repos = NULL;
	size_t nrepos = 0;
	char git[4096];
	snprintf(git, sizeof(git), "%s/wiki.git", data);
	if (access(git, F_OK) != 0) {
		fprintf(stderr, "kennis: %s is not a kennis data directory (no wiki.git)\n", data);
		return 1;
	}
	if (state_open(&state, data, NULL) < 0 || space_repos(state, data, &repos, &nrepos) < 0) {
		fprintf(stderr, "kennis: cannot read the spaces of %s from its state database\n", data);
		db_close(state);
		return 1;
	}
	db_close(state);
	int rc, locks = 0;
	if (!check) {
		rc = index_cmd_reindex(data, repos, nrepos);
	} else {
		for (size_t i = 0; i < nrepos; i++) {
			int l = locks_check(data, repos[i].gitdir, stdout, fix);
			if (l != 0)
				locks = l;
		}
		rc = index_cmd_check(data, repos, nrepos);
		if (locks != 0)
			printf("kennis: %s: lock files block a repository (see above)\n", data);
	}
	space_repos_free(repos, nrepos);
	return rc != 0 || locks != 0;
}

static int
cmd_hook(int argc, char **argv)
{
	if (argc != 2 || is_help(argc, argv)) {
		fputs("usage: kennis hook pre-receive|post-receive\n(run by git during a push)\n", stderr);
		return 2;
	}
	/* Log lines go to the server's log when it passed one (see cgi.c), else nowhere: the
	 * hook's stderr is the pusher's screen. */
	const char *fd = getenv("KENNIS_LOG_FD");
	if (fd && atoi(fd) > 2 && fcntl(atoi(fd), F_GETFD) != -1)
		log_set_fd(atoi(fd));
	else
		log_min_level = LOG_ERROR + 1;
	if (strcmp(argv[1], "pre-receive") == 0)
		return hook_pre_receive(stdin, stderr);
	if (strcmp(argv[1], "post-receive") == 0)
		return hook_post_receive(stdin, stderr);
	fprintf(stderr, "kennis: unknown hook %s\n", argv[1]);
	return 2;
}

int
main(int argc, char **argv)
{
	int rc;
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	git_libgit2_init();
	if (auth_global_init() < 0) {
		fputs("kennis: libsodium failed to start\n", stderr);
		return 1;
	}
	/* libgit2 caches no tree over 4 KiB by default; a folder of a few hundred customers is
	 * bigger, and every page view looks names up in it (links, frames): cache them, the
	 * root tree of a wiki of 100,000 pages in one folder (5.5 MB) included: re-reading it
	 * cost 32 ms a page view (docs/scale.md). The total stays bounded (serve: --git-cache-mb). */
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, (size_t)(64 << 20));
	git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_COMMIT, (size_t)(64 << 10));
	render_global_init();
	if (strcmp(argv[1], "init") == 0)
		rc = cmd_init(argc - 1, argv + 1);
	else if (strcmp(argv[1], "import") == 0)
		rc = cmd_import(argc - 1, argv + 1);
	else if (strcmp(argv[1], "serve") == 0)
		rc = cmd_serve(argc - 1, argv + 1);
	else if (strcmp(argv[1], "user") == 0)
		rc = cmd_user(argc - 1, argv + 1);
	else if (strcmp(argv[1], "token") == 0)
		rc = cmd_token(argc - 1, argv + 1);
	else if (strcmp(argv[1], "space") == 0 || strcmp(argv[1], "group") == 0) {
		log_min_level = LOG_WARN; /* the command says what it did; the log is for a server */
		rc = cmd_space(argc - 1, argv + 1);
	}
	else if (strcmp(argv[1], "webhook") == 0)
		rc = cmd_webhook(argc - 1, argv + 1);
	else if (strcmp(argv[1], "notify") == 0)
		rc = cmd_notify(argc - 1, argv + 1);
	else if (strcmp(argv[1], "reindex") == 0 || strcmp(argv[1], "check") == 0)
		rc = cmd_index(argc - 1, argv + 1);
	else if (strcmp(argv[1], "hook") == 0)
		rc = cmd_hook(argc - 1, argv + 1);
	else if (strcmp(argv[1], "promote") == 0)
		rc = cmd_promote(argc - 1, argv + 1);
	else if (strcmp(argv[1], "forward") == 0)
		rc = forward_main(); /* the CGI program a replica forwards writes through */
	else {
		fprintf(stderr, "kennis: unknown command '%s'\n%s", argv[1], usage);
		rc = 2;
	}
	search_global_release();
	links_global_release();
	render_global_release();
	git_libgit2_shutdown();
	return rc;
}
