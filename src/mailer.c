/* mailer.c: e-mail through libcurl's SMTP (MIME built by curl_mime, never by hand). */
#include "mailer.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define ADDR_MAX 254

int
mail_address_check(const char *addr)
{
	size_t n = addr ? strlen(addr) : 0;
	const char *at = addr ? strrchr(addr, '@') : NULL;
	if (n == 0 || n > ADDR_MAX || !at || at == addr || !at[1] || strchr(at + 1, '.') == NULL)
		return KN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c <= ' ' || c == 0x7f || strchr("<>()[]\\,;:\"", c))
			return KN_EINVAL;
	}
	return 0;
}

/* One header line's value: no CR or LF (header injection), bounded. */
static int
header_safe(const char *s, size_t max)
{
	if (!s || strlen(s) > max)
		return 0;
	return strpbrk(s, "\r\n") == NULL;
}

/* The bare address of a From setting: "Name <a@b>" gives "a@b". */
static int
from_address(char *out, size_t n, const char *from)
{
	const char *lt = strrchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	size_t len = lt && gt ? (size_t)(gt - lt - 1) : strlen(from);
	if (len >= n)
		return KN_EINVAL;
	memcpy(out, lt && gt ? lt + 1 : from, len);
	out[len] = '\0';
	return mail_address_check(out);
}

/* Subject: plain when ASCII, else an RFC 2047 encoded word (base64 of the UTF-8). */
static void
subject_header(struct buf *out, const char *subject)
{
	int ascii = 1;
	for (const char *p = subject; *p; p++)
		if ((unsigned char)*p >= 0x80)
			ascii = 0;
	buf_puts(out, "Subject: ");
	if (ascii) {
		buf_puts(out, subject);
		return;
	}
	/* Encoded words are at most 75 characters: split the text on character boundaries. */
	const char *p = subject;
	int first = 1;
	while (*p) {
		size_t take = 0;
		while (p[take] && take < 42) {
			size_t ch = 1;
			while ((p[take + ch] & 0xc0) == 0x80)
				ch++;
			if (take + ch > 42 && take)
				break;
			take += ch;
		}
		char b64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)p, take, sodium_base64_VARIANT_ORIGINAL);
		buf_printf(out, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
		first = 0;
		p += take;
	}
}

static __thread CURL *thread_handle;

void
mail_thread_end(void)
{
	if (thread_handle)
		curl_easy_cleanup(thread_handle);
	thread_handle = NULL;
}

int
mail_send(const struct mail_server *srv, const struct mail *m, char *error, int *retry)
{
	struct curl_slist *headers = NULL, *rcpt = NULL;
	struct buf h = BUF_INIT;
	char from[ADDR_MAX + 1], date[64], errbuf[CURL_ERROR_SIZE] = "";
	curl_mime *mime = NULL, *alt = NULL;
	CURL *c = NULL;
	int rc = KN_EINVAL;

	*retry = 0;
	error[0] = '\0';
	if (!srv->url || (strncmp(srv->url, "smtp://", 7) != 0 && strncmp(srv->url, "smtps://", 8) != 0)) {
		snprintf(error, 256, "the mail server must be smtp://HOST:PORT or smtps://HOST:PORT");
		return KN_EINVAL;
	}
	if (!srv->from || !header_safe(srv->from, 300) || from_address(from, sizeof(from), srv->from) < 0 ||
	    mail_address_check(m->to) < 0 || !header_safe(m->subject, 998) ||
	    (m->unsubscribe_url && !header_safe(m->unsubscribe_url, 2000)) ||
	    (m->message_id && !header_safe(m->message_id, 300)) || !m->text) {
		snprintf(error, 256, "bad sender, recipient or header value");
		return KN_EINVAL;
	}
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
	headers = curl_slist_append(headers, date);
	buf_printf(&h, "From: %s", srv->from);
	headers = curl_slist_append(headers, h.ptr);
	buf_reset(&h);
	buf_printf(&h, "To: %s", m->to);
	headers = curl_slist_append(headers, h.ptr);
	buf_reset(&h);
	subject_header(&h, m->subject);
	headers = curl_slist_append(headers, h.ptr);
	if (m->message_id) {
		buf_reset(&h);
		buf_printf(&h, "Message-ID: %s", m->message_id);
		headers = curl_slist_append(headers, h.ptr);
	}
	if (m->unsubscribe_url) {
		buf_reset(&h);
		buf_printf(&h, "List-Unsubscribe: <%s>", m->unsubscribe_url);
		headers = curl_slist_append(headers, h.ptr);
		/* RFC 8058: a mail program may stop the mails with one POST, without a page */
		headers = curl_slist_append(headers, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
	}
	headers = curl_slist_append(headers, "Auto-Submitted: auto-generated");
	rcpt = curl_slist_append(NULL, m->to);

	/* One handle per sending thread, reset between mails: libcurl keeps its SMTP connection
	 * open, so the 100 mails of one save go over one connection, not 100 (each a TCP and
	 * EHLO exchange for the mail server and for us). */
	if (thread_handle)
		curl_easy_reset(thread_handle);
	else
		thread_handle = curl_easy_init();
	c = thread_handle;
	if (!c) {
		snprintf(error, 256, "libcurl failed to start");
		*retry = 1;
		rc = KN_EIO;
		goto done;
	}
	/* text and HTML as alternatives of one multipart/alternative part */
	mime = curl_mime_init(c);
	alt = curl_mime_init(c);
	curl_mimepart *part = curl_mime_addpart(alt);
	curl_mime_data(part, m->text, CURL_ZERO_TERMINATED);
	curl_mime_type(part, "text/plain; charset=utf-8");
	curl_mime_encoder(part, "quoted-printable");
	if (m->html) {
		part = curl_mime_addpart(alt);
		curl_mime_data(part, m->html, CURL_ZERO_TERMINATED);
		curl_mime_type(part, "text/html; charset=utf-8");
		curl_mime_encoder(part, "quoted-printable");
	}
	part = curl_mime_addpart(mime);
	curl_mime_subparts(part, alt);
	alt = NULL; /* owned by mime now */
	curl_mime_type(part, "multipart/alternative");
	struct curl_slist *inline_hdr = curl_slist_append(NULL, "Content-Disposition: inline");
	curl_mime_headers(part, inline_hdr, 1);

	curl_easy_setopt(c, CURLOPT_URL, srv->url);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	if (srv->user && *srv->user) {
		curl_easy_setopt(c, CURLOPT_USERNAME, srv->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, srv->password ? srv->password : "");
		/* a password never crosses the network in clear text */
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	} else {
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	}
	CURLcode cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		rc = 0;
	} else {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		snprintf(error, 256, "%s%s", errbuf[0] ? errbuf : curl_easy_strerror(cc), code ? "" : " (no answer)");
		/* 5xx from the server is final (unknown recipient, refused); the rest may pass */
		*retry = !(code >= 500 && code < 600) && cc != CURLE_LOGIN_DENIED;
		rc = KN_EIO;
	}
done:
	curl_mime_free(alt);
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	curl_slist_free_all(rcpt);
	buf_free(&h);
	return rc;
}
