#define G_LOG_DOMAIN "tl-application"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-application.h"
#include "tl-bench-startup.h"
#include "tl-preferences-window.h"
#include "tl-settings.h"
#include "tl-window.h"

struct _TlApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TlApplication, tl_application, ADW_TYPE_APPLICATION)

char *
tl_application_demo_path (void)
{
  const char *dirs[] = { g_getenv ("TL_DATADIR"), SOURCE_DATADIR, PKGDATADIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;

      if (dirs[i] == NULL)
        continue;
      path = g_build_filename (dirs[i], "experiments", "fashion-split.json", NULL);
      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

static void
tl_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      g_autofree char *demo = tl_application_demo_path ();

      window = GTK_WINDOW (tl_window_new (TL_APPLICATION (app)));
      tl_bench_startup_watch (TL_WINDOW (window));
      if (demo != NULL && g_getenv ("TL_NO_DEMO") == NULL)
        {
          g_autoptr (GFile) file = g_file_new_for_path (demo);
          tl_window_open_file (TL_WINDOW (window), file);
        }
    }
  gtk_window_present (window);
}

static void
tl_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      TlWindow *window = tl_window_new (TL_APPLICATION (app));

      tl_window_open_file (window, files[i]);
      gtk_window_present (GTK_WINDOW (window));
    }
}

static void
apply_color_scheme (GSettings *settings)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT, ADW_COLOR_SCHEME_FORCE_DARK,
  };
  int value = g_settings_get_enum (settings, "color-scheme");

  if (value >= 0 && value < (int) G_N_ELEMENTS (schemes))
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[value]);
}

static void
new_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  TlWindow *window = tl_window_new (TL_APPLICATION (user_data));
  gtk_window_present (GTK_WINDOW (window));
}

static void
open_recent_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *active = gtk_application_get_active_window (app);
  g_autoptr (GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));
  TlWindow *window;

  if (TL_IS_WINDOW (active) && tl_window_is_pristine (TL_WINDOW (active)))
    window = TL_WINDOW (active);
  else
    window = tl_window_new (TL_APPLICATION (app));
  tl_window_open_file (window, file);
  gtk_window_present (GTK_WINDOW (window));
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  TlPreferencesWindow *prefs = tl_preferences_window_new (active);

  gtk_window_present (GTK_WINDOW (prefs));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkWindow *active = gtk_application_get_active_window (GTK_APPLICATION (user_data));
  static const char *developers[] = { "The Transfer Lab developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", active,
                        "modal", TRUE,
                        "application-name", _("Transfer Lab"),
                        "application-icon", APPLICATION_ID,
                        "developer-name", _("The Transfer Lab developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Pretrain a model, transfer it to new data, fine-tune it and see how much the transfer helps."),
                        "website", "https://transferlab.org/",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2024 The Transfer Lab developers",
                        "developers", developers,
                        /* Translators: put your names here, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (user_data)));

  /* Each window asks about its own unsaved changes or running training. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);
}

static const GActionEntry app_actions[] = {
  { "new", new_action, NULL, NULL, NULL, { 0 } },
  { "open-recent", open_recent_action, "s", NULL, NULL, { 0 } },
  { "preferences", preferences_action, NULL, NULL, NULL, { 0 } },
  { "about", about_action, NULL, NULL, NULL, { 0 } },
  { "quit", quit_action, NULL, NULL, NULL, { 0 } },
};

static void
tl_application_startup (GApplication *app)
{
  GSettings *settings;
  static const char *new_accels[] = { "<Control>n", NULL };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *prefs_accels[] = { "<Control>comma", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };

  G_APPLICATION_CLASS (tl_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions, G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new", new_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "window.close", close_accels);

  settings = tl_settings_get ();
  if (settings != NULL)
    {
      apply_color_scheme (settings);
      g_signal_connect (settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), NULL);
    }
  gtk_window_set_default_icon_name (APPLICATION_ID);
}

static void
tl_application_class_init (TlApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = tl_application_activate;
  app_class->open = tl_application_open;
  app_class->startup = tl_application_startup;
}

static void
tl_application_init (TlApplication *self)
{
}

TlApplication *
tl_application_new (void)
{
  return g_object_new (TL_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_NON_UNIQUE | G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/org/transferlab/TransferLab",
                       NULL);
}

int
tl_application_run (int argc, char **argv)
{
  g_autoptr (TlApplication) app = tl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
