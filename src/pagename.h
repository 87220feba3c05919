/* pagename.h: the one place page names are validated and mapped to files and titles. */
#ifndef KENNIS_PAGENAME_H
#define KENNIS_PAGENAME_H

#include <stddef.h>
#include "kennis.h"

#define PAGENAME_MAX 200 /* bytes of a page name (its file adds ".md") or of another file's path */

/* A page name is the URL form of a page: "Customers/Acme-Corp" for the file
 * "Customers/Acme-Corp.md". Returns 0 when `name` (n bytes) is acceptable, else KN_EINVAL:
 * empty, over PAGENAME_MAX, invalid UTF-8, control bytes, a part that is empty or starts
 * with '.' (so no "..", ".git", hidden files), a folder ending in a space or '.', a leading
 * or trailing '/', or a backslash. The characters GitHub wikis allow (: * ? " < > | # %,
 * "Installation:-Linux", "umask-?") are allowed; every address percent-encodes them. The
 * name itself may end in a space or '.' ("trail " is the file "trail .md"). */
int pagename_check(const char *name, size_t n);

/* Why page name `name` is refused (pagename_check), in words for a person; NULL if it is not. */
const char *pagename_problem(const char *name, size_t n);

/* Why file `path` (a page "X.md" or an attachment) may not be in the wiki, or NULL when it
 * may. A page is judged by its name, so a file is allowed exactly when the web serves it;
 * the push hook and the upload form use this, the web's addresses pagename_check. Any
 * other file: the same rules, and its last part may not end in a space or '.' either. */
const char *pagename_path_problem(const char *path, size_t n);

/* Why a push may not change file `path` that the wiki already holds (main before the push
 * has it), or NULL when it may. Existing history is taken as it is (kennis import, or the
 * first push into an empty wiki), so a file there may break pagename_path_problem's rules
 * (a dotfile such as ".vscode/settings.json"); a push may still change it, unless a part
 * is empty, "." or "..", or starts with ".git" (any case), or it holds control bytes or
 * invalid UTF-8. */
const char *pagename_kept_problem(const char *path, size_t n);

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
