/* config.h: the server-wide settings (command line and kennis.conf), read by every module. */
#ifndef KENNIS_CONFIG_H
#define KENNIS_CONFIG_H

#include <stddef.h>

/* Server-wide settings, filled once by main.c before anything starts; read-only after. */
struct config {
	const char *data_dir;  /* the data directory */
	const char *git_dir;   /* data_dir/wiki.git */
	const char *listen;    /* HOST:PORT */
	const char *self_exe;  /* absolute path of this binary (for hooks) */
	size_t max_form;       /* bytes of an urlencoded form body */
	size_t max_git_body;   /* bytes of a git request body (0: no limit) */
	unsigned threads;
	unsigned per_ip;       /* connections per client address */
	unsigned max_conns;    /* open connections in all (0: as many as the file limit allows) */
	unsigned timeout;      /* idle seconds before a connection is closed */
	unsigned header_timeout; /* seconds to send a whole header block (also: keep-alive idle) */
	unsigned min_rate;     /* request body bytes a second, on average (0: no minimum) */
	unsigned long exit_after; /* serve this many requests, then exit (0: forever) */
	size_t cache_bytes;    /* rendered-page cache size (0: off) */
	size_t search_cache_bytes; /* search results shared by all threads (0: off) */
	size_t git_cache_bytes; /* libgit2's cache of parsed objects, all threads together */
	size_t git_map_bytes;   /* pack file windows mapped at a time, all threads together */
	unsigned repack_loose; /* loose objects that start a background repack (0: never) */
	unsigned repack_check; /* seconds between looks at the loose objects */
	int anon_read;         /* anonymous read: 1 on, 0 off, -1 auto (only while no user exists) */
	int registration;      /* open self-registration (new users are readers) */
	int behind_tls;        /* served over TLS (by a proxy): cookies get Secure */
	const char *proxy_header; /* single sign-on header set by a trusted proxy, or NULL */
	const char *proxy_from;   /* comma-separated addresses allowed to send proxy_header */
	int proxy_role;        /* role of users created on first sight through the proxy */
	long long session_idle, session_max; /* seconds */
	size_t max_file;       /* bytes per file in a push or an upload */
	const char *upload_types; /* comma-separated file extensions allowed as attachments */
	const char *base_url;  /* "https://wiki.example.com": absolute URLs (feeds) start with it; made
	                          by req_base_url_parse; NULL: the address the server listens on */
	unsigned login_address_limit; /* failed logins per client address per hour before it waits */
	const char *db_url;    /* state database: a PostgreSQL URL, or NULL for DATA/kennis.db */
	const char *smtp_url;  /* smtp://host:port or smtps://host:port; NULL: no mail is sent */
	const char *smtp_user, *smtp_password; /* NULL: the server takes mail without a login */
	const char *mail_from; /* the From of mails ("kennis <wiki@example.com>"); NULL: kennis@HOSTNAME */
	int digest_minute;     /* minute of the local day when digests go; -1: never */
	int webhook_private;   /* webhooks may call private and loopback addresses */
	const char *img_src;   /* image sources of other sites for the CSP's img-src ("https:"),
	                          made by req_img_src_parse; NULL: this site's images only */
	/* more than one machine (replica.c, docs/deploy.md) */
	const char *replica_of; /* the primary's URL: this node is a replica (NULL: the primary) */
	const char *node_url;   /* how the other nodes reach this one (NULL: the listen address) */
	unsigned sync_replicas; /* replicas that must hold a change before it is acknowledged */
	int sync_refuse;        /* fewer did in time: 1 refuse the answer (503), 0 acknowledge with a warning */
	unsigned sync_timeout_ms; /* how long a write waits for them (0: 5000) */
	unsigned read_wait_ms;  /* how long a replica waits for one's own last write before asking the primary (0: 1000) */
};

#endif
