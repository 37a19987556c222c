#define G_LOG_DOMAIN "tl-experiment"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "tl-error.h"
#include "tl-torch-probe.h"

void
tl_torch_probe_clear (TlTorchProbe *probe)
{
  g_clear_pointer (&probe->python, g_free);
  g_clear_pointer (&probe->torch_version, g_free);
}

/* Asks one interpreter for its torch: FALSE with why it could not in *why. */
static gboolean
probe_python (const char *python, TlTorchProbe *p, char **why)
{
  const char *code = "import json, torch; print(json.dumps({'torch': torch.__version__, "
                     "'cuda': bool(torch.cuda.is_available()), 'gpus': torch.cuda.device_count()}))";
  const char *argv[] = { python, "-c", code, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  int status = 0;
  JsonObject *o;

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error))
    {
      *why = g_strdup_printf (_("%s cannot be started (%s)"), python, error->message);
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL) || !json_parser_load_from_data (parser, out, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      *why = g_strdup_printf (_("%s has no usable torch module (%s)"), python,
                              err && *err ? g_strstrip (err) : _("no answer"));
      return FALSE;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  p->python = g_strdup (python);
  p->torch_version = g_strdup (json_object_get_string_member_with_default (o, "torch", "?"));
  p->cuda = json_object_get_boolean_member_with_default (o, "cuda", FALSE);
  p->gpus = (int) json_object_get_int_member_with_default (o, "gpus", 0);
  return TRUE;
}

gboolean
tl_torch_probe_run (TlTorchProbe *p, GError **error)
{
  const char *chosen = g_getenv ("TL_PYTHON");
  g_autofree char *why = NULL, *why_system = NULL;

  g_return_val_if_fail (p != NULL && p->python == NULL, FALSE);

  if (chosen != NULL && *chosen != '\0')
    {
      if (probe_python (chosen, p, &why))
        return TRUE;
      g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
                   _("TL_PYTHON: %s; the torch engine needs Python 3 with PyTorch"), why);
      return FALSE;
    }
  if (probe_python ("python3", p, &why))
    return TRUE;
  if (g_file_test ("/usr/bin/python3", G_FILE_TEST_IS_EXECUTABLE) && probe_python ("/usr/bin/python3", p, &why_system))
    return TRUE;
  g_set_error (error, TL_ERROR, TL_ERROR_UNSUPPORTED,
               _("%s%s%s; the torch engine needs Python 3 with PyTorch (Debian: apt install python3-torch, or set "
                 "TL_PYTHON to an interpreter that has it)"), why, why_system ? "; " : "",
               why_system ? why_system : "");
  return FALSE;
}

const char *
tl_torch_engine_dir (void)
{
  const char *dirs[] = { g_getenv ("TL_TORCH_ENGINE_DIR"), SOURCE_TOOLSDIR, TORCH_ENGINE_DIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (dirs[i] != NULL && *dirs[i] != '\0')
      {
        g_autofree char *main_py = g_build_filename (dirs[i], "tl_torch_engine", "__main__.py", NULL);
        if (g_file_test (main_py, G_FILE_TEST_IS_REGULAR))
          return dirs[i];
      }
  return TORCH_ENGINE_DIR;
}
