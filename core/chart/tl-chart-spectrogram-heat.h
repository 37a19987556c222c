#pragma once

#include <cairo.h>
#include <glib.h>

#include "tl-chart.h"

G_BEGIN_DECLS

/* An explanation over a spectrogram: the spectrogram in grey, the importance
 * of each band and frame over it (red where the region raises the class's
 * probability, blue where it lowers it, opacity by magnitude), a time axis in
 * seconds, a frequency axis in Hz and a colour bar of the importance. */
typedef struct {
  const float  *values;            /* [bands, frames], band 0 drawn at the bottom */
  const float  *heat;              /* [bands, frames] */
  int           bands;
  int           frames;
  double        seconds_per_frame; /* frame t is centred at t * seconds_per_frame */
  const double *band_hz;           /* centre of each band, increasing; NULL: bands are numbered */
  const char   *title;             /* may be NULL */
  const char   *caption;           /* top right, may be NULL */
  const char   *heat_label;        /* what the colour bar measures; NULL: "Importance" */
  TlChartStyle  style;
} TlSpectrogramHeatChart;

void tl_spectrogram_heat_chart_draw (const TlSpectrogramHeatChart *chart, cairo_t *cr, double width, double height);

/* The largest magnitude of the heat, which the colour bar spans either side of 0. */
double tl_spectrogram_heat_chart_scale (const TlSpectrogramHeatChart *chart);

G_END_DECLS
