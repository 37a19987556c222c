#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TL_TYPE_APPLICATION (tl_application_get_type ())
G_DECLARE_FINAL_TYPE (TlApplication, tl_application, TL, APPLICATION, AdwApplication)

TlApplication *tl_application_new (void);
/* Runs the GUI; returns the exit status. */
int            tl_application_run (int argc, char **argv);
/* The demo experiment shipped with the program, or NULL when it is missing. */
char          *tl_application_demo_path (void);

G_END_DECLS
