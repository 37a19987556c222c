#pragma once

#include <cairo.h>
#include <glib.h>

#include "tl-chart.h"

G_BEGIN_DECLS

/* Thumbnails of one recording: its waveform and its spectrogram. Both fill
 * width x height with a title line above a plot rectangle (see
 * tl_audio_chart_plot_area); the caller supplies every text. */

#define TL_AUDIO_CHART_MARGIN  4.0
#define TL_AUDIO_CHART_TITLE_H 18.0

typedef struct {
  const float *samples;   /* in [-1, 1] */
  gsize        n_samples;
  const char  *title;     /* top left, or NULL */
  const char  *caption;   /* top right, e.g. the duration; or NULL */
  TlChartStyle style;
} TlWaveformChart;

/* The envelope (lowest to highest sample) of each pixel column, around a zero line. */
void tl_waveform_chart_draw (const TlWaveformChart *chart, cairo_t *cr, double width, double height);

typedef struct {
  const float *values;    /* [bands, frames], band 0 drawn at the bottom */
  int          bands;
  int          frames;
  /* Colours span [max - range, max] of the values; 0: their whole range. */
  double       range;
  const char  *title;
  const char  *caption;
  TlChartStyle style;
} TlSpectrogramChart;

/* Each band and frame a cell shaded dark (low) to bright (high). */
void tl_spectrogram_chart_draw (const TlSpectrogramChart *chart, cairo_t *cr, double width, double height);

/* The plot rectangle of either chart at that size. */
static inline void
tl_audio_chart_plot_area (gboolean has_title, double width, double height,
                          double *x, double *y, double *w, double *h)
{
  double top = TL_AUDIO_CHART_MARGIN + (has_title ? TL_AUDIO_CHART_TITLE_H : 0.0);

  *x = TL_AUDIO_CHART_MARGIN;
  *y = top;
  *w = MAX (width - 2 * TL_AUDIO_CHART_MARGIN, 0.0);
  *h = MAX (height - top - TL_AUDIO_CHART_MARGIN, 0.0);
}

G_END_DECLS
