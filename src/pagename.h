/* pagename.h: the one place page names are validated and mapped to files and titles. */
#ifndef KENNIS_PAGENAME_H
#define KENNIS_PAGENAME_H

#include <stddef.h>
#include "kennis.h"

#define PAGENAME_MAX 200 /* bytes, whole path */

/* A page name is the URL form of a page: "Customers/Acme-Corp" for the file
 * "Customers/Acme-Corp.md". Returns 0 when `name` (n bytes) is acceptable, else KN_EINVAL:
 * empty, too long, invalid UTF-8, control bytes, a component that is empty or starts with
 * '.' (so no "..", ".git", hidden files), a leading or trailing '/', or one of \ : * ? " < > | # %. */
int pagename_check(const char *name, size_t n);

/* Turn the target of a wiki link ("Acme Corp", " Customers/Acme Corp ") into a page name
 * ("Acme-Corp", "Customers/Acme-Corp"): trims, spaces become '-'. Appends to `out`; returns
 * 0, or KN_EINVAL when the result is not a valid name (nothing useful appended then). */
int pagename_from_link(struct buf *out, const char *target, size_t n);

/* "Customers/Acme-Corp" -> "Customers/Acme-Corp.md" (appends to out). */
void pagename_to_path(struct buf *out, const char *name);

/* "Customers/Acme-Corp.md" -> "Customers/Acme-Corp"; returns KN_EINVAL when `path` does
 * not name a page (not .md, or an invalid name). */
int pagename_from_path(struct buf *out, const char *path, size_t n);

/* Human title of a page: last component, '-' shown as ' ' ("Acme Corp"). */
void pagename_title(struct buf *out, const char *name);

#endif
