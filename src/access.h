/* access.h: who is asking (session cookie, HTTP Basic, trusted proxy header) and what they
 * may do; the same rules for the web and for git. */
#ifndef KENNIS_ACCESS_H
#define KENNIS_ACCESS_H

#include "auth.h"
#include "req.h"

#define SESSION_COOKIE "kennis_session"

/* This thread's connection to the state database (accounts, spaces, groups: DATA/kennis.db
 * or PostgreSQL), opened on first use and closed when the thread ends; NULL if it cannot be
 * opened (logged). */
struct db *access_db(const struct config *cfg);

/* Start-up: make the process secret for proxy-user CSRF tokens. */
void access_global_init(void);

/* Fill r->user, r->role, r->csrf, r->open_mode from the session cookie or the trusted
 * proxy header (web requests). 0, or KN_EIO when the accounts database is unusable. */
int access_identify_web(struct req *r);

/* Same for git and the API: HTTP Basic with a token or a password (throttled); a token of
 * scope read sets r->read_only. Returns 0, KN_EINVAL for credentials that were given and
 * are wrong (answer 401), KN_ETHROTTLED when a password may not be tried yet (Retry-After
 * is set; the API answers 429, git 401), or KN_EIO. */
int access_identify_basic(struct req *r);

/* The API (/api/v1/): with an Authorization header, that alone says who asks: `Bearer
 * kn_…` (a personal access token) or HTTP Basic (as git); without one, what
 * access_identify_web found (the session) stands. A token of scope read sets
 * r->read_only. 0, KN_EINVAL for credentials that were given and are wrong (401),
 * KN_ETHROTTLED (Basic with a password, too many failures: 429) or KN_EIO. */
int access_identify_api(struct req *r);

/* Does a state-changing web request carry a valid CSRF token (the form's `csrf`, else the
 * X-CSRF-Token header) and come from this site (Origin / Sec-Fetch-Site)? 0 or KN_EINVAL
 * (logged). */
int access_check_csrf(struct req *r);

#endif
