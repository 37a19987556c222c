#define G_LOG_DOMAIN "tl-image-folder"

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <math.h>
#include <glib/gi18n.h>
#include <string.h>

#include "tl-error.h"
#include "tl-folder-list.h"
#include "tl-image-folder.h"

gboolean
tl_is_image_file_name (const char *name)
{
  g_autofree char *lower = NULL;

  g_return_val_if_fail (name != NULL, FALSE);

  lower = g_ascii_strdown (name, -1);
  return g_str_has_suffix (lower, ".png") || g_str_has_suffix (lower, ".jpg")
         || g_str_has_suffix (lower, ".jpeg");
}

static gboolean
check_size (const char *what, int width, int height, GError **error)
{
  if (width < 1 || height < 1 || width > TL_IMAGE_MAX_SIDE || height > TL_IMAGE_MAX_SIDE)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%s: an image size of %dx%d is not usable (1 to %d pixels a side)"),
                   what, width, height, TL_IMAGE_MAX_SIDE);
      return FALSE;
    }
  return TRUE;
}

/* The image as `channels` planes of bytes: a grey pixel is the nearest byte to
 * the weighted sum of its red, green and blue, as image libraries make it. */
static gboolean
decode_image (const char *path, int width, int height, int channels, guint8 *out, GError **error)
{
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autoptr (GdkPixbuf) scaled = NULL;
  GError *load_error = NULL;
  const guint8 *pixels;
  int file_w = 0, file_h = 0, stride, n_channels;
  gsize plane = (gsize) width * height;

  if (gdk_pixbuf_get_file_info (path, &file_w, &file_h) == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: not an image in a known format"), path);
      return FALSE;
    }
  if (!check_size (path, file_w, file_h, error))
    return FALSE;
  pixbuf = gdk_pixbuf_new_from_file (path, &load_error);
  if (pixbuf == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE, "%s: %s", path, load_error->message);
      g_error_free (load_error);
      return FALSE;
    }
  if (gdk_pixbuf_get_width (pixbuf) != width || gdk_pixbuf_get_height (pixbuf) != height)
    {
      scaled = gdk_pixbuf_scale_simple (pixbuf, width, height, GDK_INTERP_BILINEAR);
      if (scaled == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("%s: the image cannot be scaled"), path);
          return FALSE;
        }
    }
  else
    scaled = g_object_ref (pixbuf);

  pixels = gdk_pixbuf_read_pixels (scaled);
  stride = gdk_pixbuf_get_rowstride (scaled);
  n_channels = gdk_pixbuf_get_n_channels (scaled);
  for (int y = 0; y < height; y++)
    {
      const guint8 *row = pixels + (gsize) y * stride;

      for (int x = 0; x < width; x++)
        {
          const guint8 *p = row + (gsize) x * n_channels;
          gsize at = (gsize) y * width + x;
          guint8 r = p[0];
          guint8 g = n_channels >= 3 ? p[1] : p[0];
          guint8 b = n_channels >= 3 ? p[2] : p[0];

          if (channels == 1)
            out[at] = (guint8) MIN (lrintf (0.299f * r + 0.587f * g + 0.114f * b), 255);
          else
            {
              out[at] = r;
              out[plane + at] = g;
              out[2 * plane + at] = b;
            }
        }
    }
  return TRUE;
}


gboolean
tl_image_load (const char *path, int width, int height, int channels, float *out, GError **error)
{
  g_autofree guint8 *bytes = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (channels == 1 || channels == 3, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!check_size (path, width, height, error))
    return FALSE;
  bytes = g_malloc ((gsize) channels * width * height);
  if (!decode_image (path, width, height, channels, bytes, error))
    return FALSE;
  tl_bytes_to_floats (bytes, out, (gsize) channels * width * height);
  return TRUE;
}


/* wanted: NULL, or the classes whose images are read; the others keep their
 * names and get no rows. */
static TlDataset *
load_folder (const char *folder, int width, int height, int channels, gboolean bytes,
             const char *const *wanted, void (*progress) (double fraction, gpointer user_data),
             gpointer user_data, GError **error)
{
  g_autofree char *first = NULL;
  g_autoptr (GPtrArray) classes = NULL;
  g_autoptr (GPtrArray) class_names = g_ptr_array_new ();
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) labels = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (TlDataset) ds = NULL;
  GError *dir_error = NULL;
  guint64 floats;

  g_return_val_if_fail (folder != NULL, NULL);
  g_return_val_if_fail (channels == 1 || channels == 3, NULL);

  if (width != 0 || height != 0)
    if (!check_size (folder, width, height, error))
      return NULL;
  classes = tl_folder_list_sorted (folder, NULL, &dir_error);
  if (classes == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, "%s: %s", folder, dir_error->message);
      g_error_free (dir_error);
      return NULL;
    }
  for (guint c = 0; c < classes->len; c++)
    {
      g_autofree char *sub = g_build_filename (folder, g_ptr_array_index (classes, c), NULL);
      g_autoptr (GPtrArray) files = tl_folder_list_sorted (sub, tl_is_image_file_name, NULL);
      int label = class_names->len;

      if (files == NULL || files->len == 0)
        continue;
      g_ptr_array_add (class_names, g_ptr_array_index (classes, c));
      if (first == NULL)
        first = g_build_filename (sub, g_ptr_array_index (files, 0), NULL);
      if (wanted != NULL && !g_strv_contains (wanted, g_ptr_array_index (classes, c)))
        continue;
      for (guint f = 0; f < files->len; f++)
        {
          g_ptr_array_add (paths, g_build_filename (sub, g_ptr_array_index (files, f), NULL));
          g_array_append_val (labels, label);
        }
    }
  if (class_names->len == 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_PARSE,
                   _("%s: no sub-folders with PNG or JPEG images (one sub-folder per class) found"), folder);
      return NULL;
    }
  if (width == 0 || height == 0)
    {
      if (gdk_pixbuf_get_file_info (first, &width, &height) == NULL)
        {
          g_set_error (error, TL_ERROR, TL_ERROR_PARSE, _("%s: not an image in a known format"), first);
          return NULL;
        }
      if (!check_size (first, width, height, error))
        return NULL;
    }
  floats = (guint64) paths->len * channels * width * height;
  if (floats > TL_IMAGE_MAX_FLOATS)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_TOO_LARGE,
                   _("%s: %u images of %dx%d would take %llu MiB; choose a smaller size"),
                   folder, paths->len, width, height, (unsigned long long) (floats * sizeof (float) >> 20));
      return NULL;
    }

  g_ptr_array_add (class_names, NULL);
  if (bytes)
    ds = tl_dataset_new_bytes (TL_DATA_IMAGE, paths->len, 3, (int[]) { channels, height, width },
                               class_names->len - 1, (const char *const *) class_names->pdata,
                               g_malloc ((gsize) MAX (paths->len, 1) * channels * height * width));
  else
    ds = tl_dataset_new (TL_DATA_IMAGE, paths->len, 3, (int[]) { channels, height, width },
                         class_names->len - 1, (const char *const *) class_names->pdata);
  ds->source_index = g_new (int, MAX (paths->len, 1));
  ds->source_text = g_new0 (char *, paths->len + 1);
  for (guint i = 0; i < paths->len; i++)
    {
      const char *path = g_ptr_array_index (paths, i);

      if (bytes ? !decode_image (path, width, height, channels, ds->x8 + (gsize) i * ds->sample_size, error)
                : !tl_image_load (path, width, height, channels, ds->x + (gsize) i * ds->sample_size, error))
        return NULL;
      ds->y[i] = g_array_index (labels, int, i);
      ds->source_index[i] = i;
      ds->source_text[i] = g_strdup (g_ptr_array_index (paths, i));
      if (progress != NULL)
        progress ((double) (i + 1) / paths->len, user_data);
    }
  return g_steal_pointer (&ds);
}

TlDataset *
tl_image_folder_load (const char *folder, int width, int height, int channels, GError **error)
{
  return load_folder (folder, width, height, channels, FALSE, NULL, NULL, NULL, error);
}

TlDataset *
tl_image_folder_load_bytes (const char *folder, int width, int height, int channels, const char *const *classes,
                            void (*progress) (double fraction, gpointer user_data), gpointer user_data,
                            GError **error)
{
  return load_folder (folder, width, height, channels, TRUE, classes, progress, user_data, error);
}
