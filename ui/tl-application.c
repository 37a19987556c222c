#define G_LOG_DOMAIN "tl-application"

#include "config.h"

#include <glib/gi18n.h>

#include "tl-application.h"
#include "tl-window.h"

struct _TlApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TlApplication, tl_application, ADW_TYPE_APPLICATION)

static void
tl_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (tl_window_new (TL_APPLICATION (app)));
  gtk_window_present (window);
}

static void
tl_application_class_init (TlApplicationClass *klass)
{
  G_APPLICATION_CLASS (klass)->activate = tl_application_activate;
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
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/transferlab/TransferLab",
                       NULL);
}

int
tl_application_run (int argc, char **argv)
{
  g_autoptr (TlApplication) app = tl_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
