#pragma once

#include <cairo.h>
#include <glib.h>

G_BEGIN_DECLS

/* An explanation over an image: the image on the left, the same image greyed
 * with the heat map over it on the right (red where a region raises the
 * class's score, blue where it lowers it, opacity by magnitude). */
typedef struct {
  const float *image;      /* [channels, height, width], values in 0..1; 1 or 3 channels */
  int          channels;
  int          height;
  int          width;
  const float *heat;       /* [height, width] */
  const char  *title;      /* may be NULL */
} TlHeatmap;

void tl_heatmap_draw (const TlHeatmap *map, cairo_t *cr, double width, double height);

G_END_DECLS
