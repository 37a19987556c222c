#define G_LOG_DOMAIN "tl-privacy"

#include "config.h"

#include <errno.h>
#include <math.h>

#include "tl-atomic-file.h"
#include "tl-error.h"
#include "tl-privacy-history.h"

/* Nine significant digits read back as the same float; an empty field is NaN. */
static void
add_number (GString *out, double v, char sep)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isfinite (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.9g", v));
  g_string_append_c (out, sep);
}

static gboolean
write_text (FILE *fp, gpointer user_data, GError **error)
{
  GString *s = user_data;

  if (s->len > 0 && fwrite (s->str, 1, s->len, fp) != s->len)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "Short write: %s", g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

gboolean
tl_privacy_history_csv (const char *path, const TlHistory *history, GError **error)
{
  g_autoptr (GString) out = g_string_new ("epoch,train_loss,train_accuracy,val_loss,val_accuracy,"
                                          "learning_rate,seconds,epsilon\n");

  g_return_val_if_fail (path != NULL && history != NULL, FALSE);
  for (guint i = 0; i < history->epochs->len; i++)
    {
      const TlEpochRecord *r = &g_array_index (history->epochs, TlEpochRecord, i);

      g_string_append_printf (out, "%d,", r->epoch);
      add_number (out, r->train_loss, ',');
      add_number (out, r->train_accuracy, ',');
      add_number (out, r->val_loss, ',');
      add_number (out, r->val_accuracy, ',');
      add_number (out, r->learning_rate, ',');
      add_number (out, r->seconds, ',');
      add_number (out, r->epsilon, '\n');
    }
  return tl_atomic_write_file (path, write_text, out, error);
}
