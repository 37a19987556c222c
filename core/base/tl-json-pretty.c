#define G_LOG_DOMAIN "tl-json"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-json-pretty.h"

/* json-glib 1.6 writes 1e-08 as "1e-08.0", which no parser reads back, so
 * files are written here: shortest round-trip numbers, two-space indent. */
static void
write_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    switch (*p)
      {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      default:
        if (*p < 0x20)
          g_string_append_printf (out, "\\u%04x", *p);
        else
          g_string_append_c (out, (char) *p);
      }
  g_string_append_c (out, '"');
}

static void
write_double (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      g_string_append (out, "null");
      return;
    }
  for (int digits = 15; digits <= 17; digits++)
    {
      g_ascii_formatd (buf, sizeof buf, digits == 15 ? "%.15g" : digits == 16 ? "%.16g" : "%.17g", v);
      if (g_ascii_strtod (buf, NULL) == v)
        break;
    }
  g_string_append (out, buf);
  /* keep it a floating-point number for readers that tell them apart */
  if (strpbrk (buf, ".eEn") == NULL)
    g_string_append (out, ".0");
}

static void
write_node (GString *out, JsonNode *node, int depth)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_NULL:
      g_string_append (out, "null");
      break;
    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);
        if (type == G_TYPE_STRING)
          write_string (out, json_node_get_string (node));
        else if (type == G_TYPE_BOOLEAN)
          g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
        else if (type == G_TYPE_DOUBLE)
          write_double (out, json_node_get_double (node));
        else
          g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
      }
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);
        gboolean flat = TRUE;

        for (guint i = 0; i < n; i++)
          flat &= JSON_NODE_HOLDS_VALUE (json_array_get_element (array, i));
        g_string_append_c (out, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append (out, flat ? ", " : ",");
            if (!flat)
              g_string_append_printf (out, "\n%*s", 2 * (depth + 1), "");
            write_node (out, json_array_get_element (array, i), depth + 1);
          }
        if (!flat && n > 0)
          g_string_append_printf (out, "\n%*s", 2 * depth, "");
        g_string_append_c (out, ']');
      }
      break;
    case JSON_NODE_OBJECT:
      {
        JsonObject *obj = json_node_get_object (node);
        g_autoptr (GList) keys = json_object_get_members (obj);

        g_string_append_c (out, '{');
        for (GList *l = keys; l != NULL; l = l->next)
          {
            g_string_append_printf (out, "%s\n%*s", l == keys ? "" : ",", 2 * (depth + 1), "");
            write_string (out, l->data);
            g_string_append (out, ": ");
            write_node (out, json_object_get_member (obj, l->data), depth + 1);
          }
        if (keys != NULL)
          g_string_append_printf (out, "\n%*s", 2 * depth, "");
        g_string_append_c (out, '}');
      }
      break;
    }
}

char *
tl_json_to_pretty_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);

  write_node (out, node, 0);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}
