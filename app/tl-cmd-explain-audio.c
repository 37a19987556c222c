#define G_LOG_DOMAIN "transfer-lab"

#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "tl-chart-spectrogram-heat.h"
#include "tl-cmd-explain-private.h"
#include "tl-explain-spectrogram.h"
#include "tl-export.h"

static void
draw_heat (cairo_t *cr, double width, double height, gpointer user_data)
{
  tl_spectrogram_heat_chart_draw (user_data, cr, width, height);
}

static gboolean
save_charts (const TlExplainer *e, int row, const char *method, TlSpectrogramHeatChart *chart, GPtrArray *written,
             GError **error)
{
  const char *ext[] = { "png", "svg", "pdf" };
  const TlChartFormat fmt[] = { TL_CHART_FORMAT_PNG, TL_CHART_FORMAT_SVG, TL_CHART_FORMAT_PDF };

  for (int k = 0; k < 3; k++)
    if (e->formats & (1u << k))
      {
        g_autofree char *name = g_strdup_printf ("row-%d-spectrogram-%s.%s", row, method, ext[k]);
        g_autofree char *path = g_build_filename (e->out, name, NULL);
        if (!tl_export_chart (path, fmt[k], 720, 400, draw_heat, chart, error))
          return FALSE;
        g_ptr_array_add (written, g_steal_pointer (&name));
      }
  return TRUE;
}

/* One line per tile of the masks, most important first: when it is, in which band
 * range (centre frequencies, or band numbers for MFCCs), and both scores. */
static gboolean
write_regions (const TlExplainer *e, int row, const TlSpectrogramExplanation *ex, const double *band_hz,
               double spf, GPtrArray *written, GError **error)
{
  g_autoptr (GArray) tiles = tl_spectrogram_explanation_tiles (ex);
  g_autoptr (GString) csv = g_string_new (NULL);
  g_autofree char *name = g_strdup_printf ("row-%d-regions.csv", row);
  g_autofree char *path = g_build_filename (e->out, name, NULL);
  double end = MIN ((ex->frames - 0.5) * spf, (double) e->pre->audio.n_samples / e->pre->audio.rate);

  g_string_append (csv, band_hz != NULL ? "rank,start_s,end_s,low_hz,high_hz,occlusion,integrated_gradients\n"
                                        : "rank,start_s,end_s,first_band,last_band,occlusion,integrated_gradients\n");
  for (guint i = 0; i < tiles->len; i++)
    {
      const TlSpectrogramTile *t = &g_array_index (tiles, TlSpectrogramTile, i);
      double start = MAX ((t->frame0 - 0.5) * spf, 0.0), stop = MIN ((t->frame1 - 0.5) * spf, end);

      g_string_append_printf (csv, "%u,%.3f,%.3f,", i + 1, start, stop);
      if (band_hz != NULL)
        g_string_append_printf (csv, "%.0f,%.0f,", band_hz[t->band0], band_hz[t->band1 - 1]);
      else
        g_string_append_printf (csv, "%d,%d,", t->band0, t->band1 - 1);
      g_string_append_printf (csv, "%.6g,%.6g\n", t->occlusion, t->gradients);
    }
  if (!g_file_set_contents (path, csv->str, -1, error))
    return FALSE;
  g_ptr_array_add (written, g_steal_pointer (&name));
  return TRUE;
}

gboolean
tl_explain_audio_row (const TlExplainer *e, int row, const float *x, int target, GPtrArray *written, GError **error)
{
  const TlAudioSettings *s = &e->pre->audio;
  int bands = e->model->in_shape[1], frames = e->model->in_shape[2];
  double spf = (double) s->hop / s->rate;
  g_autoptr (TlSpectrogramExplanation) ex = NULL;
  g_autofree float *fill = tl_spectrogram_mask_fill (e->pre, x, bands, frames);
  g_autofree double *band_hz = NULL;
  g_autofree char *title_o = NULL, *title_g = NULL, *caption = NULL;
  TlSpectrogramExplainOptions o;
  TlSpectrogramHeatChart chart = { 0 };

  tl_spectrogram_explain_options_init (&o);
  o.band_patch = e->mask_bands;
  o.frame_patch = MAX ((int) lround (e->mask_ms / 1000.0 / spf), 1);
  o.steps = e->steps;
  o.fill = fill;
  ex = tl_explain_spectrogram (e->model, x, target, &o, error);
  if (ex == NULL)
    return FALSE;
  if (s->n_mfcc == 0 && s->n_mels == bands)
    {
      band_hz = g_new (double, bands);
      tl_mel_band_centres (s, band_hz);
    }

  chart.values = x;
  chart.bands = bands;
  chart.frames = frames;
  chart.seconds_per_frame = spf;
  chart.band_hz = band_hz;
  caption = g_strdup_printf (_("%s: %.1f%%"), e->labels[target], 100.0 * ex->probability);
  chart.caption = caption;
  title_o = g_strdup_printf (_("Row %d: occlusion of %d bands x %.0f ms"), row, ex->band_patch,
                             1000.0 * ex->frame_patch * spf);
  chart.title = title_o;
  chart.heat = ex->occlusion;
  chart.heat_label = _("Drop in probability");
  if (!save_charts (e, row, "occlusion", &chart, written, error))
    return FALSE;
  title_g = g_strdup_printf (_("Row %d: integrated gradients (sum %.3f, output change %.3f)"), row,
                             ex->gradient_sum, ex->difference);
  chart.title = title_g;
  chart.heat = ex->gradients;
  chart.heat_label = _("Attribution");
  if (!save_charts (e, row, "gradients", &chart, written, error))
    return FALSE;
  return write_regions (e, row, ex, band_hz, spf, written, error);
}
