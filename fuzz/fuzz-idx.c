#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "tl-error.h"
#include "tl-idx.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *path = NULL;
  g_autofree char *images = NULL;
  g_autofree char *labels = NULL;
  g_autoptr (TlIdxArray) array = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) load_error = NULL;
  TlDataset *ds;
  size_t cut;

  tl_fuzz_init ();

  /* One file on its own. */
  path = tl_fuzz_write ("single-idx3-ubyte", data, size);
  array = tl_idx_read (path, &error);
  tl_fuzz_check_error (array != NULL, error);
  if (array != NULL)
    {
      guint64 n = 1;

      for (int d = 0; d < array->ndim; d++)
        n *= (guint64) array->dims[d];
      if (n != array->size)
        abort ();
    }

  /* An images file and a labels file: the first byte says where the input is cut in two. */
  if (size < 1)
    return 0;
  cut = 1 + (size - 1) * data[0] / 255;
  images = tl_fuzz_write ("pair-images-idx3-ubyte", data + 1, cut - 1);
  labels = tl_fuzz_write ("pair-labels-idx1-ubyte", data + cut, size - cut);
  ds = tl_idx_load (images, labels, &load_error);
  tl_fuzz_check_error (ds != NULL, load_error);
  if (ds != NULL)
    {
      for (int i = 0; i < ds->n; i++)
        if (ds->y[i] < 0 || ds->y[i] >= ds->n_classes)
          abort ();
      tl_dataset_free (ds);
    }
  return 0;
}
