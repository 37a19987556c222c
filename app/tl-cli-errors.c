#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <stdio.h>

#include "tl-cli-errors.h"

void
tl_cli_error (const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "transfer-lab: %s\n", message);
}

void
tl_cli_report (const GError *error)
{
  tl_cli_error ("%s", error->message);
}
