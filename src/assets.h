/* assets.h: templates and static files embedded in the binary by tools/embed.sh. */
#ifndef KENNIS_ASSETS_H
#define KENNIS_ASSETS_H

#include <stddef.h>

struct asset {
	const char *name; /* "templates/view.html", "static/kennis.css" */
	const char *data; /* NUL-terminated */
	size_t len;
};

extern const struct asset assets[]; /* ends with a zeroed entry */

/* The embedded file `name`, or NULL. */
const struct asset *asset_find(const char *name);

#endif
