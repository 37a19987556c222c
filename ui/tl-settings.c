#define G_LOG_DOMAIN "tl-settings"

#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gio.h>
#include <gio/gsettingsbackend.h>

#include "tl-settings.h"

#define MAX_RECENT 10

static GSettingsSchema *
lookup_schema (void)
{
  GSettingsSchemaSource *installed = g_settings_schema_source_get_default ();
  const char *dirs[] = { g_getenv ("TL_SCHEMA_DIR"), TL_BUILD_SCHEMADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr (GSettingsSchemaSource) source = NULL;
      GSettingsSchema *schema;

      if (dirs[i] == NULL || !g_file_test (dirs[i], G_FILE_TEST_IS_DIR))
        continue;
      source = g_settings_schema_source_new_from_directory (dirs[i], installed, FALSE, NULL);
      if (source == NULL)
        continue;
      schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
      if (schema != NULL)
        return schema;
    }
  if (installed != NULL)
    return g_settings_schema_source_lookup (installed, APPLICATION_ID, TRUE);
  return NULL;
}

GSettings *
tl_settings_get (void)
{
  static GSettings *settings;

  if (g_once_init_enter (&settings))
    {
      g_autoptr (GSettingsSchema) schema = lookup_schema ();
      GSettings *value;

      if (schema != NULL && g_getenv ("TL_SETTINGS_MEMORY") == NULL)
        value = g_settings_new_full (schema, NULL, NULL);
      else if (schema != NULL)
        {
          g_autoptr (GSettingsBackend) backend = g_memory_settings_backend_new ();
          value = g_settings_new_full (schema, backend, NULL);
        }
      else
        {
          g_warning ("Settings schema %s not found; settings will not be kept", APPLICATION_ID);
          value = NULL;
        }
      g_once_init_leave (&settings, value);
    }
  return settings;
}

void
tl_settings_add_recent (const char *path)
{
  GSettings *settings = tl_settings_get ();
  g_auto (GStrv) old = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_auto (GStrv) recent = NULL;
  guint n = 1;

  g_return_if_fail (path != NULL);
  if (settings == NULL)
    return;
  old = g_settings_get_strv (settings, "recent-experiments");
  g_strv_builder_add (builder, path);
  for (guint i = 0; old[i] != NULL && n < MAX_RECENT; i++)
    if (g_strcmp0 (old[i], path) != 0)
      {
        g_strv_builder_add (builder, old[i]);
        n++;
      }
  recent = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "recent-experiments", (const char *const *) recent);
}
