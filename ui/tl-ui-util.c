#define G_LOG_DOMAIN "tl-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "tl-ui-util.h"

char *
tl_format_thousands (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }
  return g_string_free (out, FALSE);
}

static const struct {
  const char *name;
  const char *title;
  int         color;
} runs[] = {
  { "transfer", N_("transfer"), 0 },
  { "joint", N_("joint"), 1 },
  { "baseline", N_("baseline"), 2 },
  { "domain-adversarial", N_("domain-adversarial"), 3 },
  { "pretrain", N_("pretrain"), 4 },
  { "self-training", N_("self-training"), 5 },
  { "source-only", N_("source-only"), 6 },
  { "non-private", N_("non-private"), 7 },
};

const char *
tl_run_title (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    if (g_strcmp0 (runs[i].name, name) == 0)
      return _(runs[i].title);
  return name;
}

int
tl_run_color (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    if (g_strcmp0 (runs[i].name, name) == 0)
      return runs[i].color;
  return 7;
}

const char *
tl_run_of_stage_message (const char *message)
{
  gsize len;

  if (message == NULL)
    return NULL;
  if (g_str_has_prefix (message, "fine-tune:"))
    return "transfer";
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      len = strlen (runs[i].name);
      if (strncmp (message, runs[i].name, len) == 0 && message[len] == ':')
        return runs[i].name;
    }
  return NULL;
}
