/* cgi.c: a CGI child process whose pipes are pumped by a thread of its own. */
#include "cgi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define IN_MAX (256u << 10)  /* request bytes queued in memory for the child; more are spilled */
#define SPILL_CHUNK (64u << 10) /* bytes moved from the spill file to the queue at a time */
#define OUT_MAX (256u << 10) /* response bytes read ahead of the client */
#define HDR_MAX (64u << 10)

struct cgi {
	pthread_mutex_t lock;
	pthread_t thread;
	pid_t pid;
	int in_fd, out_fd, wake_fd;
	struct cgi_hooks hooks;
	int waiting;      /* the connection is suspended, waiting for us */
	int input_closed; /* no more request body will come */
	int out_eof, failed, stop;
	int child_done;   /* the child closed its output: it finished on its own */
	int hdr_done;
	struct buf in;    /* queued request body */
	size_t in_off;
	int spill_fd;     /* the body beyond `in`, in order: bytes spill_r .. spill_w */
	off_t spill_r, spill_w;
	char *spill_dir;
	struct buf out;   /* response bytes (headers first, until parsed) */
	size_t out_off;
};

extern char **environ;

static void
wake_pump(struct cgi *c)
{
	uint64_t one = 1;
	ssize_t w = write(c->wake_fd, &one, sizeof(one));
	(void)w;
}

/* Called with the lock held. */
static void
resume_conn(struct cgi *c)
{
	if (c->waiting) {
		c->waiting = 0;
		c->hooks.resume(c->hooks.payload);
	}
}

static void
suspend_conn(struct cgi *c)
{
	if (!c->waiting) {
		c->waiting = 1;
		c->hooks.suspend(c->hooks.payload);
	}
}

/* Drop the consumed head of a queue, so it never grows past its bound. Lock held. */
static void
compact(struct buf *b, size_t *off)
{
	if (*off == 0)
		return;
	memmove(b->ptr, b->ptr + *off, b->len - *off);
	b->len -= *off;
	b->ptr[b->len] = '\0';
	*off = 0;
}

/* Is there a complete header block in c->out? Returns its length (with the blank line). */
static size_t
header_end(const struct buf *b)
{
	for (size_t i = 0; i + 1 < b->len; i++) {
		if (b->ptr[i] != '\n')
			continue;
		if (b->ptr[i + 1] == '\n')
			return i + 2;
		if (b->ptr[i + 1] == '\r' && i + 2 < b->len && b->ptr[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Move spilled body into the empty memory queue, in order. Lock held. */
static void
refill(struct cgi *c)
{
	if (c->in.len > c->in_off || c->spill_r >= c->spill_w)
		return;
	buf_reset(&c->in);
	c->in_off = 0;
	size_t want = (size_t)(c->spill_w - c->spill_r) < SPILL_CHUNK ? (size_t)(c->spill_w - c->spill_r) : SPILL_CHUNK;
	buf_grow(&c->in, want);
	ssize_t n = pread(c->spill_fd, c->in.ptr, want, c->spill_r);
	if (n <= 0) {
		log_error("cgi: reading the spilled request body: %s", n < 0 ? strerror(errno) : "short file");
		c->spill_r = c->spill_w = 0;
		c->failed = 1;
		if (c->in_fd >= 0) { /* the child gets a cut body and fails: no half-read push */
			close(c->in_fd);
			c->in_fd = -1;
		}
		return;
	}
	c->in.len = (size_t)n;
	c->in.ptr[n] = '\0';
	c->spill_r += n;
	if (c->spill_r == c->spill_w) { /* all read: start the file over */
		c->spill_r = c->spill_w = 0;
		if (ftruncate(c->spill_fd, 0) < 0)
			log_warn("cgi: truncating the spill file: %s", strerror(errno));
	}
}

static void
pump_io(struct cgi *c, struct pollfd *fds)
{
	char tmp[65536];
	if (c->out_fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		ssize_t n = read(c->out_fd, tmp, sizeof(tmp));
		pthread_mutex_lock(&c->lock);
		if (n > 0) {
			if (c->hdr_done)
				compact(&c->out, &c->out_off);
			buf_put(&c->out, tmp, (size_t)n);
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->out_eof = 1;
			c->child_done = n == 0;
		}
		if (!c->hdr_done && (header_end(&c->out) || c->out_eof || c->out.len > HDR_MAX))
			c->hdr_done = 1;
		if (c->hdr_done)
			resume_conn(c);
		pthread_mutex_unlock(&c->lock);
		if (c->out_eof) {
			close(c->out_fd);
			c->out_fd = -1;
		}
	}
	if (c->in_fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
		pthread_mutex_lock(&c->lock);
		size_t avail = c->in.len - c->in_off;
		ssize_t n = avail ? write(c->in_fd, c->in.ptr + c->in_off, avail) : 0;
		if (n > 0) {
			c->in_off += (size_t)n;
			if (c->in_off == c->in.len) {
				buf_reset(&c->in);
				c->in_off = 0;
			}
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* the child stopped reading (it failed or had all it wanted): drop the rest */
			c->input_closed = 1;
			buf_reset(&c->in);
			c->in_off = 0;
			c->spill_r = c->spill_w = 0;
		}
		refill(c);
		int done = c->input_closed && c->in.len == c->in_off;
		pthread_mutex_unlock(&c->lock);
		if (done) {
			close(c->in_fd);
			c->in_fd = -1;
		}
	}
}

static void *
pump(void *arg)
{
	struct cgi *c = arg;
	for (;;) {
		struct pollfd fds[3];
		pthread_mutex_lock(&c->lock);
		int stop = c->stop;
		refill(c);
		int want_in = c->in_fd >= 0 && (c->in.len > c->in_off || c->input_closed);
		int want_out = c->out_fd >= 0 && c->out.len - c->out_off < OUT_MAX;
		if (c->in_fd >= 0 && c->input_closed && c->in.len == c->in_off) {
			close(c->in_fd);
			c->in_fd = -1;
			want_in = 0;
		}
		int finished = c->out_fd < 0;
		pthread_mutex_unlock(&c->lock);
		if (stop || finished)
			break;
		fds[0] = (struct pollfd){ want_in ? c->in_fd : -1, POLLOUT, 0 };
		fds[1] = (struct pollfd){ want_out ? c->out_fd : -1, POLLIN, 0 };
		fds[2] = (struct pollfd){ c->wake_fd, POLLIN, 0 };
		if (poll(fds, 3, -1) < 0 && errno != EINTR)
			break;
		if (fds[2].revents & POLLIN) {
			uint64_t v;
			ssize_t r = read(c->wake_fd, &v, sizeof(v));
			(void)r;
		}
		pump_io(c, fds);
	}
	pthread_mutex_lock(&c->lock);
	c->out_eof = 1;
	c->hdr_done = 1;
	resume_conn(c);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int
cgi_start(struct cgi **out, char *const argv[], char *const envp[], const struct cgi_hooks *hooks,
	  const char *spill_dir)
{
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t dflt;
	struct cgi *c = NULL;

	*out = NULL;
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0)
		goto fail;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	/* fd 3: the server's log, for the push hooks (KENNIS_LOG_FD); git's stderr goes to the
	 * pusher, not to us. */
	posix_spawn_file_actions_adddup2(&fa, 2, 3);
	c = xcalloc(1, sizeof(*c));
	c->in_fd = c->out_fd = c->wake_fd = c->spill_fd = -1;
	c->spill_dir = xstrdup(spill_dir ? spill_dir : "/tmp");
	/* The server ignores SIGPIPE; the child must not inherit that. */
	posix_spawnattr_init(&attr);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &dflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
	int rc = posix_spawn(&c->pid, argv[0], &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		log_error("cgi: cannot start %s: %s", argv[0], strerror(rc));
		goto fail;
	}
	close(in[0]);
	close(outp[1]);
	c->in_fd = in[1];
	c->out_fd = outp[0];
	fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->hooks = *hooks;
	pthread_mutex_init(&c->lock, NULL);
	if (c->wake_fd < 0 || pthread_create(&c->thread, NULL, pump, c) != 0) {
		log_error("cgi: cannot start pump: %s", strerror(errno));
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		close(c->in_fd);
		close(c->out_fd);
		if (c->wake_fd >= 0)
			close(c->wake_fd);
		pthread_mutex_destroy(&c->lock);
		free(c->spill_dir);
		free(c);
		return KN_EIO;
	}
	*out = c;
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (outp[i] >= 0)
			close(outp[i]);
	}
	if (c)
		free(c->spill_dir);
	free(c);
	return KN_EIO;
}

/* Append to the spill file (opened at the first need). Lock held. */
static int
spill(struct cgi *c, const char *data, size_t n)
{
	if (c->spill_fd < 0) {
		struct buf path = BUF_INIT;
		buf_printf(&path, "%s/git-body-XXXXXX", c->spill_dir);
		c->spill_fd = mkostemp(path.ptr, O_CLOEXEC);
		if (c->spill_fd >= 0)
			unlink(path.ptr);
		else
			log_error("cgi: cannot create %s: %s", path.ptr, strerror(errno));
		buf_free(&path);
		if (c->spill_fd < 0)
			return KN_EIO;
	}
	while (n > 0) {
		ssize_t w = pwrite(c->spill_fd, data, n, c->spill_w);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			log_error("cgi: writing the request body to a file: %s", w < 0 ? strerror(errno) : "no space");
			return KN_EIO;
		}
		c->spill_w += w;
		data += w;
		n -= (size_t)w;
	}
	return 0;
}

int
cgi_write(struct cgi *c, const char *data, size_t n)
{
	int rc = 0;
	pthread_mutex_lock(&c->lock);
	if (!c->input_closed && c->in_fd >= 0 && n > 0) { /* else the child is gone: swallow */
		size_t room = 0;
		if (c->spill_r == c->spill_w) { /* nothing spilled: the memory queue first */
			compact(&c->in, &c->in_off);
			room = c->in.len < IN_MAX ? IN_MAX - c->in.len : 0;
			if (room > n)
				room = n;
			buf_put(&c->in, data, room);
		}
		if (room < n)
			rc = spill(c, data + room, n - room);
	}
	pthread_mutex_unlock(&c->lock);
	wake_pump(c);
	return rc;
}

void
cgi_close_input(struct cgi *c)
{
	pthread_mutex_lock(&c->lock);
	c->input_closed = 1;
	pthread_mutex_unlock(&c->lock);
	wake_pump(c);
}

/* Parse "Name: value" lines of the CGI header block. */
static int
parse_headers(struct cgi *c, struct arena *a, int *status, struct kvlist *headers)
{
	size_t end = header_end(&c->out);
	if (!end)
		return 502;
	*status = 200;
	const char *p = c->out.ptr, *stop = c->out.ptr + end;
	while (p < stop) {
		const char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t len = (size_t)(nl - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len == 0)
			break;
		const char *colon = memchr(p, ':', len);
		if (colon) {
			const char *v = colon + 1;
			while (v < p + len && *v == ' ')
				v++;
			char *key = arena_strndup(a, p, (size_t)(colon - p));
			char *val = arena_strndup(a, v, (size_t)(p + len - v));
			if (strcasecmp(key, "Status") == 0)
				*status = atoi(val);
			else
				kv_add(a, headers, key, val);
		}
		p = nl + 1;
	}
	c->out_off = end;
	return *status >= 100 && *status <= 599 ? 0 : 502;
}

int
cgi_headers(struct cgi *c, struct arena *a, int *status, struct kvlist *headers)
{
	int ready;
	pthread_mutex_lock(&c->lock);
	ready = c->hdr_done;
	if (ready) {
		if (parse_headers(c, a, status, headers) != 0) {
			*status = 502;
			c->failed = 1;
		}
	} else {
		suspend_conn(c);
	}
	pthread_mutex_unlock(&c->lock);
	return ready;
}

ssize_t
cgi_read(struct cgi *c, char *dst, size_t max)
{
	ssize_t n;
	pthread_mutex_lock(&c->lock);
	size_t avail = c->out.len - c->out_off;
	if (avail) {
		n = (ssize_t)(avail < max ? avail : max);
		memcpy(dst, c->out.ptr + c->out_off, (size_t)n);
		c->out_off += (size_t)n;
		if (c->out_off == c->out.len) {
			buf_reset(&c->out);
			c->out_off = 0;
		}
	} else if (c->out_eof) {
		n = c->failed ? -2 : -1;
	} else {
		n = 0;
		suspend_conn(c);
	}
	pthread_mutex_unlock(&c->lock);
	if (n > 0)
		wake_pump(c); /* there may be room to read ahead again */
	return n;
}

void
cgi_free(struct cgi *c)
{
	int status = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	c->waiting = 0; /* the connection is going away: never resume it */
	pthread_mutex_unlock(&c->lock);
	wake_pump(c);
	pthread_join(c->thread, NULL);
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->spill_fd >= 0)
		close(c->spill_fd);
	close(c->wake_fd);
	/* A child that closed its output is finishing on its own (hooks may still run): wait.
	 * One still writing lost its client: end it. */
	if (!c->child_done)
		kill(c->pid, SIGTERM);
	waitpid(c->pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warn("cgi: child %d exited with status %d", (int)c->pid, WEXITSTATUS(status));
	pthread_mutex_destroy(&c->lock);
	buf_free(&c->in);
	buf_free(&c->out);
	free(c->spill_dir);
	free(c);
}
