#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "tl-progress.h"

struct _TlProgress {
  FILE    *out;
  gboolean tty;
  gboolean line_open;
  char    *stage;
  gint64   last_draw;     /* monotonic microseconds */
  int      n_epochs;      /* of the current run, as the batch events tell it */
};

/* Redraws at most this often: a terminal is slower than a small model. */
#define REDRAW_INTERVAL_US 100000

TlProgress *
tl_progress_new (FILE *out)
{
  TlProgress *progress = g_new0 (TlProgress, 1);

  progress->out = out;
  progress->tty = isatty (fileno (out)) && g_strcmp0 (g_getenv ("TERM"), "dumb") != 0;
  progress->stage = g_strdup ("train");
  return progress;
}

void
tl_progress_free (TlProgress *progress)
{
  if (progress == NULL)
    return;
  tl_progress_end_line (progress);
  g_free (progress->stage);
  g_free (progress);
}

gboolean
tl_progress_is_tty (const TlProgress *progress)
{
  return progress->tty;
}

void
tl_progress_set_stage (TlProgress *progress, const char *stage)
{
  g_free (progress->stage);
  progress->stage = g_strdup (stage);
}

char *
tl_format_duration (double seconds)
{
  long s;

  if (!isfinite (seconds) || seconds < 0)
    return g_strdup ("--:--");
  s = lround (seconds);
  if (s >= 3600)
    return g_strdup_printf ("%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  return g_strdup_printf ("%ld:%02ld", s / 60, s % 60);
}

void
tl_progress_end_line (TlProgress *progress)
{
  if (progress->line_open)
    {
      fputs ("\r\033[K", progress->out);
      fflush (progress->out);
      progress->line_open = FALSE;
    }
}

void
tl_progress_batch (TlProgress *progress, const TlBatchProgress *b)
{
  gint64 now;
  g_autofree char *elapsed = NULL;
  g_autofree char *eta = NULL;

  progress->n_epochs = b->n_epochs;
  if (!progress->tty)
    return;
  now = g_get_monotonic_time ();
  if (progress->line_open && b->batch != b->n_batches && now - progress->last_draw < REDRAW_INTERVAL_US)
    return;
  progress->last_draw = now;
  elapsed = tl_format_duration (b->elapsed);
  eta = tl_format_duration (b->eta);
  fprintf (progress->out, "\r\033[K%s  %s %d/%d  %s %d/%d  %s %.4f  %s %.1f%%  %s  %s %s",
           progress->stage, _("epoch"), b->epoch, b->n_epochs, _("batch"), b->batch, b->n_batches,
           _("loss"), b->loss, _("accuracy"), 100.0 * b->accuracy, elapsed, _("ETA"), eta);
  fflush (progress->out);
  progress->line_open = TRUE;
}

void
tl_progress_epoch (TlProgress *progress, const TlEpochRecord *r, int n_epochs)
{
  g_autoptr (GString) line = g_string_new (NULL);

  if (n_epochs <= 0)
    n_epochs = progress->n_epochs;
  tl_progress_end_line (progress);
  g_string_append_printf (line, "%s  %s %d/%d  %s %.4f  %s %.1f%%", progress->stage, _("epoch"),
                          r->epoch, n_epochs, _("loss"), r->train_loss, _("accuracy"),
                          100.0 * r->train_accuracy);
  if (!isnan (r->val_loss))
    g_string_append_printf (line, "  %s %.4f  %s %.1f%%", _("val loss"), r->val_loss,
                            _("val accuracy"), 100.0 * r->val_accuracy);
  if (isfinite (r->epsilon) && r->epsilon > 0)
    g_string_append_printf (line, "  %s %.3f", _("epsilon"), r->epsilon);
  g_string_append_printf (line, "  %.1f s", r->seconds);
  fprintf (progress->out, "%s\n", line->str);
  fflush (progress->out);
}

void
tl_progress_message (TlProgress *progress, const char *format, ...)
{
  va_list args;

  tl_progress_end_line (progress);
  va_start (args, format);
  vfprintf (progress->out, format, args);
  va_end (args);
  fputc ('\n', progress->out);
  fflush (progress->out);
}

static void
on_batch (const TlBatchProgress *b, gpointer user_data)
{
  tl_progress_batch (user_data, b);
}

static void
on_epoch (const TlEpochRecord *record, const TlHistory *history, gpointer user_data)
{
  tl_progress_epoch (user_data, record, 0);
}

static gboolean
should_stop (gpointer user_data)
{
  return tl_interrupt_requested ();
}

void
tl_progress_train_callbacks (TlProgress *progress, TlTrainCallbacks *callbacks)
{
  memset (callbacks, 0, sizeof *callbacks);
  callbacks->on_batch = on_batch;
  callbacks->on_epoch = on_epoch;
  callbacks->should_stop = should_stop;
  callbacks->user_data = progress;
}

static volatile sig_atomic_t interrupted;

static void
on_sigint (int signum)
{
  if (interrupted)
    {
      signal (SIGINT, SIG_DFL);
      raise (SIGINT);
      return;
    }
  interrupted = 1;
}

void
tl_interrupt_install (void)
{
  struct sigaction action;

  memset (&action, 0, sizeof action);
  action.sa_handler = on_sigint;
  sigemptyset (&action.sa_mask);
  sigaction (SIGINT, &action, NULL);
  sigaction (SIGTERM, &action, NULL);
}

gboolean
tl_interrupt_requested (void)
{
  return interrupted != 0;
}

char **
tl_table_row (const char *first, ...)
{
  GPtrArray *row = g_ptr_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_ptr_array_add (row, g_strdup (s));
  va_end (args);
  g_ptr_array_add (row, NULL);
  return (char **) g_ptr_array_free (row, FALSE);
}

/* "42", "0.607", "67.8%", "-": figures, which read best right-aligned. */
static gboolean
is_number_cell (const char *cell)
{
  if (g_str_equal (cell, "-"))
    return TRUE;
  if (*cell == '-' || *cell == '+')
    cell++;
  return g_ascii_isdigit (*cell) || (*cell == '.' && g_ascii_isdigit (cell[1]));
}

void
tl_print_table (FILE *out, GPtrArray *rows)
{
  guint n_cols = 0;
  g_autofree int *widths = NULL;
  g_autofree gboolean *numeric = NULL;

  for (guint r = 0; r < rows->len; r++)
    n_cols = MAX (n_cols, g_strv_length (g_ptr_array_index (rows, r)));
  widths = g_new0 (int, MAX (n_cols, 1));
  numeric = g_new (gboolean, MAX (n_cols, 1));
  for (guint c = 0; c < n_cols; c++)
    numeric[c] = TRUE;
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      for (guint c = 0; row[c] != NULL; c++)
        {
          widths[c] = MAX (widths[c], (int) g_utf8_strlen (row[c], -1));
          if (r > 0)
            numeric[c] = numeric[c] && is_number_cell (row[c]);
        }
    }
  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      for (guint c = 0; row[c] != NULL; c++)
        {
          int pad = widths[c] - (int) g_utf8_strlen (row[c], -1);
          if (c > 0)
            fputs ("  ", out);
          /* numbers line up on the right, words on the left */
          if (numeric[c])
            fprintf (out, "%*s%s", pad, "", row[c]);
          else
            fprintf (out, "%s%*s", row[c], row[c + 1] ? pad : 0, "");
        }
      fputc ('\n', out);
      if (r == 0)
        {
          int total = 0;
          for (guint c = 0; c < n_cols; c++)
            total += widths[c] + (c > 0 ? 2 : 0);
          for (int i = 0; i < total; i++)
            fputc ('-', out);
          fputc ('\n', out);
        }
    }
  fflush (out);
}
