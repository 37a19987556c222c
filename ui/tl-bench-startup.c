#define G_LOG_DOMAIN "tl-bench-startup"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tl-bench-startup.h"

/* Seconds since the process started: its start time in clock ticks since boot
 * (/proc/self/stat, field 22) against the boot-time clock. */
static double
seconds_since_start (void)
{
  g_autofree char *stat = NULL;
  const char *after;
  struct timespec now;
  unsigned long long start = 0;
  int field = 2;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) || (after = strrchr (stat, ')')) == NULL)
    return -1;
  for (const char *p = after + 1; *p != '\0' && field <= 22; p++)
    if (*p == ' ' && ++field == 22)
      start = g_ascii_strtoull (p + 1, NULL, 10);
  clock_gettime (CLOCK_BOOTTIME, &now);
  return now.tv_sec + now.tv_nsec * 1e-9 - (double) start / sysconf (_SC_CLK_TCK);
}

static long long
peak_kb (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (line = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtoll (line + 6, NULL, 10);
}

/* CPU seconds of the whole process so far, all threads: unlike the wall time,
 * this hardly depends on how busy the machine is. */
static double
cpu_seconds (void)
{
  struct timespec t;

  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t) != 0)
    return -1;
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static void
report (const char *event)
{
  printf ("%s %.3f %lld %.3f\n", event, seconds_since_start (), peak_kb (), cpu_seconds ());
  fflush (stdout);
}

static void
quit (void)
{
  g_application_quit (g_application_get_default ());
}

static void
after_first_paint (GdkFrameClock *clock, gpointer data)
{
  report ("first-frame");
  g_signal_handlers_disconnect_by_func (clock, after_first_paint, data);
}

static void
realized (GtkWidget *window)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (after_first_paint), NULL);
}

static void
run_done (TlWindow *window)
{
  report ("run-done");
  quit ();
}

static gboolean
start_run (gpointer data)
{
  TlWindow *window = data;

  if (!gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", NULL) || !tl_window_is_training (window))
    {
      report ("run-refused");
      quit ();
    }
  return G_SOURCE_REMOVE;
}

static void
data_ready (TlWindow *window)
{
  static gboolean seen;

  if (seen)   /* the data reloaded later (after a run, say) */
    return;
  seen = TRUE;
  report ("data-ready");
  if (g_strcmp0 (g_getenv ("TL_BENCH_STARTUP"), "run") != 0)
    {
      quit ();
      return;
    }
  g_signal_connect_object (tl_window_get_page (window, "train"), "run-finished", G_CALLBACK (run_done), window,
                           G_CONNECT_SWAPPED);
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, start_run, g_object_ref (window), g_object_unref);
}

void
tl_bench_startup_watch (TlWindow *window)
{
  g_return_if_fail (TL_IS_WINDOW (window));

  if (g_getenv ("TL_BENCH_STARTUP") == NULL)
    return;
  g_signal_connect (window, "realize", G_CALLBACK (realized), NULL);
  g_signal_connect_object (tl_window_get_page (window, "data"), "loaded", G_CALLBACK (data_ready), window,
                           G_CONNECT_SWAPPED);
}
