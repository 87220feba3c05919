/* fuzz_multipart.c: uploads as server.c reads them: libmicrohttpd's post processor on a real connection, kennis's upload callbacks, and what they collect. */
#include "fuzz.h"

/* server.c's own upload code (upload_iter, upload_field, upload_step, upload_cleanup and
 * struct conn) is static: include the file, as the unit tests of h2o do. */
#include "server.c"

#include <dirent.h>
#include <fcntl.h>

/* Why a real daemon: MHD_create_post_processor needs a connection (it reads the request's
 * Content-Type from it). Each input is one request over a socketpair, handed to a daemon
 * without a listening socket (MHD_add_connection) and run by MHD_run in this thread. The
 * body is then fed to kennis's upload_step in pieces of the input's choosing, as
 * libmicrohttpd hands over whatever the socket gave it. libmicrohttpd is not instrumented
 * (Debian's library), so coverage guides only kennis's side; the structured inputs below
 * make sure its parser sees well-formed uploads to compare against, not only noise. */

#define MAX_FILE 1000 /* --max-file: small, so the "too big" path is taken */

static struct config fcfg;
static struct MHD_Daemon *daemon_;
static char tmpdir[4200];

/* What one input asks for: the request's Content-Type, the body, how it is cut into
 * pieces, and (structured inputs) what kennis must end up with. */
struct want {
	int known;                 /* the body was built from parts: compare */
	int reject;                /* the parts break kennis's limits: only a refusal is right */
	char *keys[UPLOAD_FIELDS];
	struct buf vals[UPLOAD_FIELDS];
	int nkeys;
	const char *file_name, *file_type;
	struct buf file;
};

static struct {
	const char *ctype;
	const char *body;
	size_t len;
	uint32_t seed;
	size_t max_piece;
	struct want *want;
	int handled;
} cur;

static size_t
next_piece(size_t left)
{
	cur.seed = cur.seed * 1103515245u + 12345u;
	size_t n = 1 + (cur.seed >> 8) % cur.max_piece;
	return n < left ? n : left;
}

/* After upload_step has had the whole body: what kennis collected, against the rules of
 * server.c (and against the parts, when they are known). */
static void
check_upload(struct conn *c)
{
	struct req *r = &c->r;
	struct want *w = cur.want;
	FUZZ_CHECK(c->nfields <= UPLOAD_FIELDS, "%d fields", c->nfields);
	for (int i = 0; i < c->nfields; i++) {
		FUZZ_CHECK(c->fields[i].val.len <= UPLOAD_FIELD_MAX, "field %s: %zu bytes", c->fields[i].key, c->fields[i].val.len);
		for (int k = 0; k < i; k++)
			FUZZ_CHECK(strcmp(c->fields[i].key, c->fields[k].key) != 0, "field %s twice", c->fields[i].key);
	}
	FUZZ_CHECK(!r->upload_name || c->up_fd >= 0, "a file name without a file");
	if (r->upload_name) {
		struct stat st;
		FUZZ_CHECK(fstat(c->up_fd, &st) == 0, "fstat");
		FUZZ_CHECK((size_t)st.st_size == r->upload_size && r->upload_size <= MAX_FILE,
			   "the file has %lld bytes, upload_size %zu", (long long)st.st_size, r->upload_size);
		FUZZ_CHECK(r->upload_type != NULL, "a file without a type");
	}
#ifdef FUZZ_DEBUG
	for (int i = 0; i < c->nfields; i++)
		fprintf(stderr, "field %s = '%s'\n", c->fields[i].key, buf_cstr(&c->fields[i].val));
	fprintf(stderr, "file %s (%s) %zu bytes, too big %d, reject %d\n", r->upload_name ? r->upload_name : "-",
		r->upload_type ? r->upload_type : "-", r->upload_size, r->upload_too_big, c->reject);
#endif
	if (!w || !w->known)
		return;
	if (w->reject) {
		/* server.c calls a refusal "too big" when the body was past --max-file by then */
		FUZZ_CHECK(c->reject == KN_EINVAL || (c->reject == KN_ETOOBIG && c->body_bytes > MAX_FILE),
			   "parts over the limits, but no refusal (%d)", c->reject);
		return;
	}
	FUZZ_CHECK(c->reject == 0, "a refusal (%d) of parts within the limits", c->reject);
	/* every field, with its values in order; one that is only empty may be missing */
	for (int k = 0; k < w->nkeys; k++) {
		int i = 0;
		while (i < c->nfields && strcmp(c->fields[i].key, w->keys[k]) != 0)
			i++;
		if (i == c->nfields) {
			FUZZ_CHECK(w->vals[k].len == 0, "field %s (%zu bytes) is missing", w->keys[k], w->vals[k].len);
			continue;
		}
		FUZZ_CHECK(c->fields[i].val.len == w->vals[k].len &&
				   memcmp(buf_cstr(&c->fields[i].val), buf_cstr(&w->vals[k]), w->vals[k].len) == 0,
			   "field %s: %zu bytes, want %zu", w->keys[k], c->fields[i].val.len, w->vals[k].len);
	}
	FUZZ_CHECK(c->nfields <= w->nkeys, "%d fields from %d", c->nfields, w->nkeys);
	FUZZ_CHECK((r->upload_name == NULL) == (w->file_name == NULL) &&
			   (!w->file_name || strcmp(r->upload_name, w->file_name) == 0),
		   "file name '%s', want '%s'", r->upload_name ? r->upload_name : "(none)", w->file_name ? w->file_name : "(none)");
	if (!w->file_name)
		return;
	FUZZ_CHECK(strcmp(r->upload_type, w->file_type ? w->file_type : "application/octet-stream") == 0,
		   "file type '%s'", r->upload_type);
	FUZZ_CHECK(r->upload_too_big == (w->file.len > MAX_FILE), "too big %d with %zu bytes", r->upload_too_big,
		   w->file.len);
	if (r->upload_too_big)
		return;
	char got[MAX_FILE + 1];
	ssize_t n = pread(c->up_fd, got, sizeof(got), 0);
	FUZZ_CHECK(n == (ssize_t)w->file.len && memcmp(got, buf_cstr(&w->file), w->file.len) == 0,
		   "the file holds %zd bytes, want %zu", n, w->file.len);
}

/* The request callback: on_request's upload branch, with the body from the input. */
static enum MHD_Result
handler(void *cls, struct MHD_Connection *mc, const char *url, const char *method, const char *version,
	const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;
	if (!c) {
		c = conn_new(mc, url, method);
		*con_cls = c;
		c->kind = CONN_UPLOAD;
		c->pp = MHD_create_post_processor(mc, 64 * 1024, upload_iter, c);
		if (!c->pp) /* not multipart/form-data or urlencoded */
			c->reject = KN_EINVAL;
		return MHD_YES;
	}
	if (*upload_data_size) { /* the request says Content-Length: 0 */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!c->reject) {
		for (size_t at = 0; at < cur.len;) {
			size_t n = next_piece(cur.len - at), left = n;
			upload_step(c, cur.body + at, &left);
			FUZZ_CHECK(left == 0, "upload_step left %zu bytes", left);
			at += n;
		}
	}
	cur.handled = 1;
	check_upload(c);
	struct MHD_Response *resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret = MHD_queue_response(mc, 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* on_completed, less the log and the connection registry. */
static void
completed(void *cls, struct MHD_Connection *mc, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;
	if (!c)
		return;
	upload_cleanup(c);
	buf_free(&c->body);
	buf_free(&c->r.out);
	arena_free(c->a);
	free(c);
	*con_cls = NULL;
}

/* At exit: the data directory made below, empty by then (a crash leaves it behind). */
static void
remove_dirs(void)
{
	rmdir(tmpdir);
	rmdir(fcfg.data_dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[4096];
	fuzz_quiet();
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/kennis-fuzz-multipart.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	FUZZ_CHECK(mkdtemp(dir), "mkdtemp %s", dir);
	snprintf(tmpdir, sizeof(tmpdir), "%s/tmp", dir);
	FUZZ_CHECK(mkdir(tmpdir, 0700) == 0, "mkdir %s", tmpdir);
	fcfg.data_dir = xstrdup(dir);
	fcfg.max_file = MAX_FILE;
	fcfg.max_form = 1 << 20;
	cfg = &fcfg;
	atexit(remove_dirs);
	daemon_ = MHD_start_daemon(MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, handler, NULL,
				   MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				   MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
				   MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL, MHD_OPTION_END);
	FUZZ_CHECK(daemon_, "MHD_start_daemon");
	return 0;
}

/* One request with Content-Type `ctype` over a socketpair; the body comes from `cur`. */
static void
run_request(const char *ctype)
{
	int sv[2];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct buf req = BUF_INIT;
	buf_printf(&req, "POST /upload/Page HTTP/1.1\r\nHost: wiki\r\nContent-Type: %s\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n", ctype);
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	FUZZ_CHECK(write(sv[0], req.ptr, req.len) == (ssize_t)req.len, "write");
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_NONBLOCK);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	FUZZ_CHECK(MHD_add_connection(daemon_, sv[1], (struct sockaddr *)&sa, sizeof(sa)) == MHD_YES, "MHD_add_connection");
	/* until libmicrohttpd has answered and closed its end */
	char reply[4096];
	for (int i = 0; i < 10000; i++) {
		MHD_run(daemon_);
		ssize_t n = read(sv[0], reply, sizeof(reply));
		if (n == 0)
			break;
		FUZZ_CHECK(i < 9999, "the connection never ended");
	}
	close(sv[0]);
	buf_free(&req);
	/* every spooled upload is gone */
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	while ((e = readdir(d)))
		FUZZ_CHECK(e->d_name[0] == '.', "%s/%s left behind", tmpdir, e->d_name);
	closedir(d);
}

/* --- structured inputs: a multipart body built from parts, and what kennis must make of it */

static const char *const boundaries[] = { "AaB03x", "----WebKitFormBoundary7MA4YWxkTrZu0gW", "x", "--" };
static const char *const filenames[] = { "a.png", "b c.txt", "../x.pdf", "\xc3\xa9t\xc3\xa9.csv", "a%22b.txt" }; /* a browser sends a\"b.txt so */

static void
want_field(struct want *w, const char *key, const char *v, size_t n)
{
	int i = 0;
	while (i < w->nkeys && strcmp(w->keys[i], key) != 0)
		i++;
	if (i == w->nkeys) {
		if (w->nkeys == UPLOAD_FIELDS) {
			w->reject = 1;
			return;
		}
		w->keys[w->nkeys++] = xstrdup(key);
	}
	if (w->vals[i].len + n > UPLOAD_FIELD_MAX)
		w->reject = 1;
	buf_put(&w->vals[i], v, n);
}

/* Parts from the input: per part a byte of flags, a byte for the name, two for the length
 * of the content, the content. Returns 0 when the input makes no valid body. */
static int
build_multipart(struct buf *body, struct want *w, const char *boundary, const uint8_t *p, size_t n)
{
	char delim[64];
	snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
	while (n >= 4) {
		unsigned flags = p[0], name = p[1];
		size_t len = (size_t)p[2] << 8 | p[3];
		p += 4, n -= 4;
		if (len > n)
			len = n;
		const char *content = (const char *)p;
		p += len, n -= len;
		struct buf part = BUF_INIT;
		buf_puts(&part, "\r\n");
		buf_put(&part, content, len);
		int clash = memmem(part.ptr, part.len, delim, strlen(delim)) != NULL;
		buf_free(&part);
		if (clash)
			return 0; /* the content holds the boundary: no valid body */
		char key[16];
		if (name % 3 == 0)
			snprintf(key, sizeof(key), "file");
		else
			snprintf(key, sizeof(key), "f%u", name % 11);
		const char *fname = flags & 1 ? filenames[(flags >> 1) % 5] : NULL;
		const char *ftype = flags & 16 ? "image/png" : NULL;
		buf_printf(body, "%s--%s\r\nContent-Disposition: form-data; name=\"%s\"", body->len ? "\r\n" : "", boundary,
			   key);
		if (fname)
			buf_printf(body, "; filename=\"%s\"", fname);
		buf_puts(body, "\r\n");
		if (ftype)
			buf_printf(body, "Content-Type: %s\r\n", ftype);
		buf_puts(body, "\r\n");
		buf_put(body, content, len);
		/* server.c's rules: the first file named "file" is the upload, more of the same name
		 * add to it, other files are ignored; everything else is a field */
		if (strcmp(key, "file") == 0 && fname) {
			if (!w->file_name) {
				w->file_name = fname;
				w->file_type = ftype;
			}
			if (strcmp(w->file_name, fname) == 0)
				buf_put(&w->file, content, len);
		} else if (!w->reject) {
			want_field(w, key, content, len);
		}
	}
	buf_printf(body, "%s--%s--\r\n", body->len ? "\r\n" : "", boundary);
	return 1;
}

static void
want_free(struct want *w)
{
	for (int i = 0; i < w->nkeys; i++) {
		free(w->keys[i]);
		buf_free(&w->vals[i]);
	}
	for (int i = w->nkeys; i < UPLOAD_FIELDS; i++)
		buf_free(&w->vals[i]);
	buf_free(&w->file);
}

/* The input: byte 0 picks the kind (bits 0-1: raw, or parts with one of the boundaries) and
 * the largest piece the body is fed in (bits 2-4); byte 1 seeds the piece sizes. A raw
 * input is a Content-Type line and then the body as it is. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t pieces[] = { 1, 2, 3, 7, 64, 511, 4096, 1u << 20 };
	if (size < 2)
		return 0;
	memset(&cur, 0, sizeof(cur));
	unsigned kind = data[0] & 7;
	cur.max_piece = pieces[(data[0] >> 3) & 7];
	cur.seed = data[1];
	data += 2, size -= 2;
	struct buf body = BUF_INIT, ctype = BUF_INIT;
	struct want w = { 0 };
	if (kind < 4) {
		const char *b = boundaries[kind];
		if (!build_multipart(&body, &w, b, data, size))
			goto done;
		w.known = 1;
		cur.want = &w;
		buf_printf(&ctype, kind == 2 ? "multipart/form-data; boundary=\"%s\"" : "multipart/form-data; boundary=%s", b);
	} else {
		char *line = fuzz_take(&data, &size, '\n');
		for (const char *s = line; *s; s++) /* a header value: no line breaks */
			if (*s != '\r')
				buf_putc(&ctype, *s);
		free(line);
		buf_put(&body, data, size);
	}
	cur.body = buf_cstr(&body);
	cur.len = body.len;
	run_request(buf_cstr(&ctype));
	FUZZ_CHECK(cur.handled || !w.known, "a well-formed upload never reached the request callback");
done:
	want_free(&w);
	buf_free(&body);
	buf_free(&ctype);
	return 0;
}
