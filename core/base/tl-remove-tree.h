#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Removes a file, or a folder and everything in it; a symbolic link is removed,
 * never followed. Best effort: what cannot be removed stays. */
void tl_remove_tree (const char *path);

G_END_DECLS
