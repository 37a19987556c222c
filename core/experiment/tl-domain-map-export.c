#define G_LOG_DOMAIN "tl-domain-map-export"

#include "config.h"

#include "tl-chart-domain-map.h"
#include "tl-domain-map-export.h"
#include "tl-experiment.h"
#include "tl-export.h"

#define PANEL_WIDTH 560
#define HEIGHT 560

typedef struct {
  const TlDomainMap *const *maps;
  const char *const        *titles;
  int                       n_maps;
} MapData;

static void
draw_maps (cairo_t *cr, double width, double height, gpointer user_data)
{
  const MapData *d = user_data;
  TlDomainMapChart chart = { .n_maps = d->n_maps, .maps = d->maps, .titles = d->titles };

  tl_domain_map_chart_draw (&chart, cr, width, height);
}

gboolean
tl_domain_map_write (const char *path, const TlDomainMap *const *maps, const char *const *titles, int n_maps,
                     GError **error)
{
  MapData data = { maps, titles, n_maps };
  TlChartFormat format;

  g_return_val_if_fail (path != NULL && maps != NULL && n_maps > 0, FALSE);

  if (!tl_chart_format_from_path (path, &format, error))
    return FALSE;
  return tl_export_chart (path, format, PANEL_WIDTH * n_maps, HEIGHT, draw_maps, &data, error);
}

gboolean
tl_domain_map_write_run (const char *out, TlModel *before, TlModel *after, const char *after_name,
                         const TlDataset *source, const TlDataset *target, guint plot_formats, guint64 seed,
                         GError **error)
{
  static const char *const ext[] = { "png", "svg", "pdf" };
  g_autoptr (TlDomainMap) map_before = NULL;
  g_autoptr (TlDomainMap) map_after = NULL;
  g_autofree char *after_title = NULL;
  const TlDomainMap *maps[2];
  const char *titles[2];
  int n = 0;

  g_return_val_if_fail (out != NULL && before != NULL && source != NULL && target != NULL, FALSE);

  /* too few rows to tell the domains apart: no map rather than a failed run */
  if (source->n < TL_DOMAIN_MAP_MIN_ROWS || target->n < TL_DOMAIN_MAP_MIN_ROWS)
    return TRUE;
  map_before = tl_domain_map_compute (before, tl_domain_map_default_layer (before), source, target,
                                      TL_DOMAIN_MAP_ROWS, seed, error);
  if (map_before == NULL)
    return FALSE;
  maps[n] = map_before;
  titles[n++] = "Before fine-tuning (pretrained)";
  if (after != NULL)
    {
      map_after = tl_domain_map_compute (after, tl_domain_map_default_layer (after), source, target,
                                         TL_DOMAIN_MAP_ROWS, seed, error);
      if (map_after == NULL)
        return FALSE;
      after_title = g_strdup_printf ("After fine-tuning (%s)", after_name != NULL ? after_name : "transfer");
      maps[n] = map_after;
      titles[n++] = after_title;
    }
  for (int f = 0; f < 3; f++)
    if (plot_formats & (1u << f))
      {
        g_autofree char *name = g_strdup_printf ("domain-map.%s", ext[f]);
        g_autofree char *path = tl_output_path (out, name, error);

        if (path == NULL || !tl_domain_map_write (path, maps, titles, n, error))
          return FALSE;
      }
  return TRUE;
}
