#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tl-error.h"
#include "tl-onnx-import.h"
#include "tl-remove-tree.h"
#include "tl-torch-probe.h"
#include "tl-torch-state-dict.h"

const char *const tl_torch_state_dict_archs[] = { "mobilenet_v2", "mobilenet_v3_small", "resnet18", NULL };

/* The converter's own message: the last line of its stderr (torch's warnings come before). */
static char *
last_line (const char *text)
{
  g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

  for (int i = (int) g_strv_length (lines) - 1; i >= 0; i--)
    if (*g_strstrip (lines[i]) != '\0')
      return g_strdup (lines[i]);
  return NULL;
}

static gboolean
export_onnx (const char *python, const char *path, const char *arch, const int shape[3], const char *onnx,
             GError **error)
{
  g_autofree char *script = g_build_filename (tl_torch_engine_dir (), "tl_torch_engine", "state_dict.py", NULL);
  g_autofree char *input = g_strdup_printf ("%dx%dx%d", shape[0], shape[1], shape[2]);
  const char *argv[] = { python, script, path, "--arch", arch, "--input", input, "--out", onnx, NULL };
  g_autofree char *err = NULL, *why = NULL;
  g_autoptr (GError) local = NULL;
  int status = 0;

  if (!g_file_test (script, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, _("%s: the converter %s is not installed"), path, script);
      return FALSE;
    }
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                     NULL, &err, &status, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, _("%s: %s cannot be started (%s)"), path, python,
                   local->message);
      return FALSE;
    }
  if (g_spawn_check_wait_status (status, NULL))
    return TRUE;
  why = last_line (err);
  /* the converter's lines already name the file */
  if (why != NULL && g_str_has_prefix (why, path))
    g_set_error_literal (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, why);
  else
    g_set_error (error, TL_ERROR, TL_ERROR_FAILED, _("%s: the conversion to ONNX failed (%s)"), path,
                 why ? why : _("no message"));
  return FALSE;
}

TlModel *
tl_torch_state_dict_import (const char *path, const char *arch, const int shape[3], GError **error)
{
  g_auto (TlTorchProbe) probe = { 0 };
  g_autofree char *dir = NULL, *onnx = NULL;
  g_autoptr (TlOnnxFile) file = NULL;
  g_autoptr (GError) local = NULL;
  TlModel *model = NULL;

  g_return_val_if_fail (path != NULL && arch != NULL && shape != NULL, NULL);

  if (!g_strv_contains (tl_torch_state_dict_archs, arch))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) tl_torch_state_dict_archs);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT, _("%s: unknown architecture “%s”; supported are: %s"),
                   path, arch, list);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, _("%s: no such file"), path);
      return NULL;
    }
  if (!tl_torch_probe_run (&probe, &local))
    {
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED, _("%s: importing a state dict needs PyTorch: %s"), path,
                   local->message);
      return NULL;
    }
  dir = g_dir_make_tmp ("tl-state-dict-XXXXXX", &local);
  if (dir == NULL)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_IO, _("%s: no temporary folder (%s)"), path, local->message);
      return NULL;
    }
  onnx = g_build_filename (dir, "model.onnx", NULL);
  if (export_onnx (probe.python, path, arch, shape, onnx, error))
    {
      file = tl_onnx_file_read (onnx, error);
      if (file != NULL)
        model = tl_onnx_import (file, path, error);
    }
  tl_remove_tree (dir);
  return model;
}
