#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The application's settings. Found in the build folder when run from it, else
 * installed; when neither has the schema, a memory backend keeps the program
 * working without remembering anything. */
GSettings *tl_settings_get (void);

/* Recent experiments, newest first, at most 10. */
void       tl_settings_add_recent (const char *path);

G_END_DECLS
