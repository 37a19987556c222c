#define G_LOG_DOMAIN "test-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <adwaita.h>

#include "tl-application.h"
#include "tl-bar-view.h"
#include "tl-confusion-view.h"
#include "tl-curve-view.h"
#include "tl-data-page.h"
#include "tl-evaluate-page.h"
#include "tl-export-page.h"
#include "tl-import-wizard.h"
#include "tl-layer-editor.h"
#include "tl-layer-table.h"
#include "tl-model-file.h"
#include "tl-model-page.h"
#include "tl-runs-view.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-ui-util.h"
#include "tl-window.h"
#include "ui-check.h"

static TlApplication *app;
static TlWindow *window;
static char *tmp_dir;

static void
write_csv (const char *path, const char *const *classes, int n_classes, int per_class, guint32 seed)
{
  g_autoptr (GString) text = g_string_new ("f1,f2,f3,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < per_class * n_classes; i++)
    {
      int c = i % n_classes;
      g_string_append_printf (text, "%.3f,%.3f,%.3f,%s\n", c * 2.0 + g_rand_double_range (rand, -0.6, 0.6),
                              -c + g_rand_double_range (rand, -0.6, 0.6), g_rand_double_range (rand, -1, 1),
                              classes[c]);
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

static void
on_finished (TlImportWizard *wizard, gboolean ok, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
import_csv_into (TlWindow *win, TlDataRole role, const char *path, const char *shot_prefix, int per_class)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (win, "data"));
  TlImportWizard *wizard = TL_IMPORT_WIZARD (tl_data_page_import (page, role));
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autofree char *name = NULL;
  gboolean finished = FALSE;

  g_object_ref (wizard);
  g_signal_connect (wizard, "finished", G_CALLBACK (on_finished), &finished);
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "file");
  tl_import_wizard_set_file (wizard, file);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  name = g_strdup_printf ("%s-columns.png", shot_prefix);
  ui_screenshot (GTK_WIDGET (wizard), name);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "classes");
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_free (name);
  name = g_strdup_printf ("%s-classes.png", shot_prefix);
  ui_screenshot (GTK_WIDGET (wizard), name);
  if (per_class > 0)
    tl_import_wizard_set_per_class (wizard, per_class);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "split");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_object_unref (wizard);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 60));
}

static void
import_csv (TlDataRole role, const char *path, const char *shot_prefix)
{
  import_csv_into (window, role, path, shot_prefix, role == TL_ROLE_TARGET ? 10 : 0);
}

static void
test_window_opens (void)
{
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_nonnull (tl_window_get_page (window, "data"));
  g_assert_nonnull (tl_window_get_page (window, "export"));
  g_assert_false (tl_window_is_training (window));
  g_assert_null (tl_window_get_error (window));
  ui_screenshot (GTK_WIDGET (window), "step-0-empty.png");
}

static void
test_wizard_error_keeps_choices (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "broken.csv", NULL);
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlImportWizard *wizard;
  g_autoptr (GFile) file = g_file_new_for_path (path);
  const char *error;

  g_autoptr (GString) text = g_string_new ("a,b,label\n");

  /* Invalid UTF-8 on line 30, past the rows the preview reads. */
  for (int i = 2; i < 40; i++)
    g_string_append_printf (text, i == 30 ? "%d,\xff\xfe,x\n" : "%d,%d,%s\n", i, i * 2, i % 2 ? "x" : "y");
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
  wizard = TL_IMPORT_WIZARD (g_object_ref (tl_data_page_import (page, TL_ROLE_SOURCE)));
  tl_import_wizard_set_file (wizard, file);
  g_assert_true (tl_import_wizard_next (wizard));
  tl_import_wizard_set_column_role (wizard, 1, "feature");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 30));
  error = tl_import_wizard_get_error (wizard);
  g_assert_nonnull (error);
  g_test_message ("inline error: %s", error);
  g_assert_nonnull (strstr (error, "broken.csv:30"));
  /* Still open, back on the page where the choices are, and they are kept. */
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  ui_screenshot (GTK_WIDGET (wizard), "wizard-error.png");
  gtk_window_destroy (GTK_WINDOW (wizard));
  g_object_unref (wizard);
}

/* A folder of images at a chosen size, in grey, with the import's progress shown. */
static void
test_wizard_images (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "images", NULL);
  g_autoptr (TlDocument) doc = tl_document_new ();
  g_autoptr (GFile) file = g_file_new_for_path (dir);
  TlImportWizard *wizard;
  gboolean finished = FALSE;
  double fraction = 0;

  for (int c = 0; c < 3; c++)
    {
      g_autofree char *sub = g_strdup_printf ("%s/class-%c", dir, 'a' + c);

      g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
      for (int i = 0; i < 12; i++)
        {
          g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 40, 30);
          g_autofree char *path = g_strdup_printf ("%s/%02d.png", sub, i);

          gdk_pixbuf_fill (pixbuf, 0x30303000u + ((guint) (c * 80 + i) << 24) + 0xff);
          g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL));
        }
    }
  wizard = tl_import_wizard_new (GTK_WINDOW (window), doc, TL_ROLE_SOURCE);
  g_object_ref (wizard);
  gtk_window_present (GTK_WINDOW (wizard));
  g_signal_connect (wizard, "finished", G_CALLBACK (on_finished), &finished);
  tl_import_wizard_set_file (wizard, file);
  tl_import_wizard_set_image_options (wizard, 16, TRUE);
  ui_screenshot (GTK_WIDGET (wizard), "wizard-images.png");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "classes");
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_assert_cmpuint (tl_import_wizard_get_progress (wizard, &fraction), >=, 1);
  g_assert_cmpfloat (fraction, ==, 1.0);
  g_assert_nonnull (tl_document_get_data (doc, TL_ROLE_SOURCE)->train);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->sample_ndim, ==, 3);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->sample_shape[0], ==, 1);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->sample_shape[1], ==, 16);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->sample_shape[2], ==, 16);
  g_assert_cmpint (tl_document_get_experiment (doc)->source.image_size, ==, 16);
  g_assert_true (tl_document_get_experiment (doc)->source.grey);
  g_object_unref (wizard);
}

static TlImportWizard *
wizard_for (TlDocument *doc, const char *path)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  TlImportWizard *wizard = tl_import_wizard_new (GTK_WINDOW (window), doc, TL_ROLE_SOURCE);

  g_object_ref (wizard);
  gtk_window_present (GTK_WINDOW (wizard));
  tl_import_wizard_set_file (wizard, file);
  return wizard;
}

/* Defect 11: a row with a stray extra field does not add a column no other row has. */
static void
test_wizard_ragged_csv (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "ragged.csv", NULL);
  g_autoptr (GString) text = g_string_new ("f1,f2,label\n");
  g_autoptr (TlDocument) doc = tl_document_new ();
  TlImportWizard *wizard;

  for (int i = 0; i < 20; i++)
    g_string_append_printf (text, i == 3 ? "%d,%d,%s,stray\n" : "%d,%d,%s\n", i, 2 * i, i % 2 ? "odd" : "even");
  g_assert_true (g_file_set_contents (path, text->str, -1, NULL));
  wizard = wizard_for (doc, path);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  g_assert_cmpuint (tl_import_wizard_get_n_columns (wizard), ==, 3);
  ui_screenshot (GTK_WIDGET (wizard), "wizard-ragged-columns.png");
  gtk_window_destroy (GTK_WINDOW (wizard));
  g_object_unref (wizard);
}

/* Defect 11: a CSV that is not UTF-8 is refused with the way out named, and read once its
 * encoding is chosen, through a UTF-8 copy beside it. */
static void
test_wizard_encoding (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "latin1.csv", NULL);
  g_autofree char *copy = g_build_filename (tmp_dir, "latin1.utf-8.csv", NULL);
  g_autofree char *copied = NULL;
  g_autoptr (GString) text = g_string_new ("text,label\n");
  g_autoptr (TlDocument) doc = tl_document_new ();
  TlImportWizard *wizard;

  for (int i = 0; i < 20; i++)
    g_string_append_printf (text, "\"caf\xe9 cr\xe8me number %d is %s\",%s\n", i, i % 2 ? "bad" : "good",
                            i % 2 ? "neg" : "pos");
  g_assert_true (g_file_set_contents (path, text->str, -1, NULL));
  wizard = wizard_for (doc, path);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "file");
  g_assert_nonnull (tl_import_wizard_get_error (wizard));
  g_assert_nonnull (strstr (tl_import_wizard_get_error (wizard), "UTF-8"));
  ui_screenshot (GTK_WIDGET (wizard), "wizard-encoding.png");
  tl_import_wizard_set_encoding (wizard, "WINDOWS-1252");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "columns");
  g_assert_true (g_file_get_contents (copy, &copied, NULL, NULL));
  g_assert_nonnull (strstr (copied, "café crème"));
  gtk_window_destroy (GTK_WINDOW (wizard));
  g_object_unref (wizard);
}

/* Defect 11: 28-pixel images are offered at 28 pixels, with thumbnails of the first ones. */
static void
test_wizard_image_defaults (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "images28", NULL);
  g_autoptr (TlDocument) doc = tl_document_new ();
  TlImportWizard *wizard;

  for (int c = 0; c < 2; c++)
    {
      g_autofree char *sub = g_strdup_printf ("%s/digit-%d", dir, c);

      g_assert_cmpint (g_mkdir_with_parents (sub, 0755), ==, 0);
      for (int i = 0; i < 4; i++)
        {
          g_autoptr (GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, 28, 28);
          g_autofree char *path = g_strdup_printf ("%s/%02d.png", sub, i);

          gdk_pixbuf_fill (pixbuf, 0x20202000u + ((guint) (c * 90 + i * 20) << 24) + 0xff);
          g_assert_true (gdk_pixbuf_save (pixbuf, path, "png", NULL, NULL));
        }
    }
  wizard = wizard_for (doc, dir);
  g_assert_cmpint (tl_import_wizard_get_image_size (wizard), ==, 28);
  g_assert_cmpuint (tl_import_wizard_get_n_thumbnails (wizard), >=, 2);
  ui_screenshot (GTK_WIDGET (wizard), "wizard-images-28.png");
  gtk_window_destroy (GTK_WINDOW (wizard));
  g_object_unref (wizard);
}

static void
write_idx (const char *path, int n, int side, const guint8 *values)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint8 header[4] = { 0, 0, 8, side > 0 ? 3 : 1 };
  int dims[3] = { n, side, side };

  g_byte_array_append (bytes, header, 4);
  for (int d = 0; d < (side > 0 ? 3 : 1); d++)
    {
      guint8 be[4] = { (guint8) (dims[d] >> 24), (guint8) (dims[d] >> 16), (guint8) (dims[d] >> 8), (guint8) dims[d] };
      g_byte_array_append (bytes, be, 4);
    }
  g_byte_array_append (bytes, values, (guint) (n * (side > 0 ? side * side : 1)));
  g_assert_true (g_file_set_contents (path, (const char *) bytes->data, bytes->len, NULL));
}

/* Defect 11: the IDX test images beside the training images are the test set. */
static void
test_wizard_idx_test_file (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "idx", NULL);
  g_autofree char *train = g_build_filename (dir, "train-images-idx3-ubyte", NULL);
  g_autofree char *train_labels = g_build_filename (dir, "train-labels-idx1-ubyte", NULL);
  g_autofree char *test = g_build_filename (dir, "t10k-images-idx3-ubyte", NULL);
  g_autofree char *test_labels = g_build_filename (dir, "t10k-labels-idx1-ubyte", NULL);
  g_autoptr (TlDocument) doc = tl_document_new ();
  guint8 pixels[60 * 16], labels[60];
  TlImportWizard *wizard;
  gboolean finished = FALSE;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (int i = 0; i < 60; i++)
    {
      labels[i] = (guint8) (i % 3);
      for (int p = 0; p < 16; p++)
        pixels[i * 16 + p] = (guint8) ((labels[i] * 80 + p * 3 + i) & 0xff);
    }
  write_idx (train, 60, 4, pixels);
  write_idx (train_labels, 60, 0, labels);
  write_idx (test, 12, 4, pixels);
  write_idx (test_labels, 12, 0, labels);
  wizard = wizard_for (doc, train);
  g_signal_connect (wizard, "finished", G_CALLBACK (on_finished), &finished);
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_cmpstr (tl_import_wizard_get_test_path (wizard), ==, test);
  g_assert_true (ui_wait_for (ui_wizard_idle, wizard, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_cmpstr (tl_import_wizard_get_step (wizard), ==, "split");
  ui_screenshot (GTK_WIDGET (wizard), "wizard-idx-split.png");
  g_assert_true (tl_import_wizard_next (wizard));
  g_assert_true (ui_wait_for (ui_flag_set, &finished, 60));
  g_assert_null (tl_import_wizard_get_error (wizard));
  g_assert_nonnull (tl_document_get_data (doc, TL_ROLE_SOURCE)->test);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->test->n, ==, 12);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->n
                   + (tl_document_get_data (doc, TL_ROLE_SOURCE)->val != NULL
                      ? tl_document_get_data (doc, TL_ROLE_SOURCE)->val->n : 0), ==, 60);
  g_object_unref (wizard);
}

static void
test_wizard_imports (void)
{
  static const char *const source_classes[] = { "alpha", "beta", "gamma", "delta" };
  static const char *const target_classes[] = { "north", "south", "east" };
  g_autofree char *source = g_build_filename (tmp_dir, "source.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "target.csv", NULL);
  TlDocument *doc = tl_window_get_document (window);

  write_csv (source, source_classes, 4, 120, 1);
  write_csv (target, target_classes, 3, 40, 2);
  import_csv (TL_ROLE_SOURCE, source, "wizard-source");
  g_assert_nonnull (tl_document_get_data (doc, TL_ROLE_SOURCE)->train);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->n_classes, ==, 4);
  import_csv (TL_ROLE_TARGET, target, "wizard-target");
  g_assert_nonnull (tl_document_get_data (doc, TL_ROLE_TARGET)->train);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_TARGET)->train->n_classes, ==, 3);
  g_assert_nonnull (tl_document_get_source_model (doc));
  g_assert_nonnull (tl_document_get_target_model (doc));
  g_assert_cmpint (tl_model_n_outputs (tl_document_get_target_model (doc)), ==, 3);
  g_assert_true (tl_document_get_modified (doc));
  tl_window_show_step (window, "data");
  ui_screenshot (GTK_WIDGET (window), "step-1-data.png");
  tl_window_show_step (window, "model");
  ui_screenshot (GTK_WIDGET (window), "step-2-model.png");
}

/* An image stack edited on its own: the core's message names what is missing. */
static void
test_layer_editor_shapes (void)
{
  static const int shape[3] = { 1, 28, 28 };
  TlLayerSpec specs[4] = { { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .stride = 1, .padding = 1 },
                           { .kind = TL_LAYER_RELU },
                           { .kind = TL_LAYER_MAXPOOL2D, .kernel = 2 },
                           { .kind = TL_LAYER_DENSE, .units = 3 } };
  GtkWidget *win = gtk_window_new ();
  TlLayerEditor *editor = TL_LAYER_EDITOR (tl_layer_editor_new ());

  gtk_window_set_child (GTK_WINDOW (win), GTK_WIDGET (editor));
  gtk_window_set_default_size (GTK_WINDOW (win), 760, 620);
  tl_layer_editor_set_input (editor, 3, shape, 10, 0);
  tl_layer_editor_set_layers (editor, specs, NULL, 4);
  g_assert_nonnull (tl_layer_editor_get_error (editor));
  g_test_message ("inline error: %s", tl_layer_editor_get_error (editor));
  g_assert_cmpint (tl_layer_editor_get_error_index (editor), ==, 3);
  g_assert_nonnull (strstr (tl_layer_editor_get_error (editor), "flatten"));
  gtk_window_present (GTK_WINDOW (win));
  ui_screenshot (GTK_WIDGET (editor), "layer-editor-error.png");

  /* A Flatten goes in above the head, and the stack builds. */
  tl_layer_editor_add_layer (editor, TL_LAYER_FLATTEN);
  g_assert_cmpint (tl_layer_editor_get_n_layers (editor), ==, 5);
  g_assert_cmpint (tl_layer_editor_get_spec (editor, 3)->kind, ==, TL_LAYER_FLATTEN);
  g_assert_null (tl_layer_editor_get_error (editor));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 2), "[8, 14, 14]"));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 3), "[1568]"));
  /* The head is sized for the 10 classes: 1568 * 10 + 10 weights. */
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 4), "[10]"));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 4), "15,690"));
  /* A stride of 2 halves the convolution's output, and every row below follows. */
  g_assert_true (tl_layer_editor_set_param (editor, 0, "stride", 2));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 0), "[8, 14, 14]"));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 4), "3,930"));
  g_assert_false (tl_layer_editor_set_param (editor, 1, "units", 3));
  ui_screenshot (GTK_WIDGET (editor), "layer-editor.png");
  gtk_window_destroy (GTK_WINDOW (win));
}

/* A mobile backbone's stack: the new kinds build, show their shapes and are
 * edited through their own fields. */
static void
test_layer_editor_vision (void)
{
  static const int shape[3] = { 3, 16, 16 };
  TlLayerSpec specs[] = { { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .stride = 2, .padding = 1 },
                          { .kind = TL_LAYER_BATCHNORM2D },
                          { .kind = TL_LAYER_RELU6 },
                          { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .stride = 1, .padding = 1, .groups = 8 },
                          { .kind = TL_LAYER_HARDSWISH },
                          { .kind = TL_LAYER_AVGPOOL2D, .kernel = 2 },
                          { .kind = TL_LAYER_CLIP, .clip_min = -1, .clip_max = 1 },
                          { .kind = TL_LAYER_GLOBAL_AVG_POOL2D },
                          { .kind = TL_LAYER_BATCHNORM1D },
                          { .kind = TL_LAYER_DENSE, .units = 3 } };
  GtkWidget *win = gtk_window_new ();
  TlLayerEditor *editor = TL_LAYER_EDITOR (tl_layer_editor_new ());

  gtk_window_set_child (GTK_WINDOW (win), GTK_WIDGET (editor));
  gtk_window_set_default_size (GTK_WINDOW (win), 760, 620);
  tl_layer_editor_set_input (editor, 3, shape, 4, 0);
  tl_layer_editor_set_layers (editor, specs, NULL, G_N_ELEMENTS (specs));
  gtk_window_present (GTK_WINDOW (win));
  g_assert_null (tl_layer_editor_get_error (editor));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 1), "[8, 8, 8]"));
  /* depthwise: 8 filters of one channel each, 8 * 9 + 8 */
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 3), " 80 parameters"));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 5), "[8, 4, 4]"));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 7), "[8]"));

  /* groups that do not divide the channels: the core's message, inline */
  g_assert_true (tl_layer_editor_set_param (editor, 3, "groups", 3));
  g_assert_cmpint (tl_layer_editor_get_error_index (editor), ==, 3);
  g_assert_nonnull (strstr (tl_layer_editor_get_error (editor), "groups 3 must divide"));
  g_assert_true (tl_layer_editor_set_param (editor, 3, "groups", 2));
  g_assert_null (tl_layer_editor_get_error (editor));
  g_assert_cmpint (tl_layer_editor_get_spec (editor, 3)->groups, ==, 2);
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 3), " 296 parameters"));

  /* clip bounds, average-pool padding and the frozen statistics switch */
  g_assert_true (tl_layer_editor_set_param (editor, 6, "max", 6));
  g_assert_cmpfloat (tl_layer_editor_get_spec (editor, 6)->clip_max, ==, 6.0f);
  g_assert_true (tl_layer_editor_set_param (editor, 6, "min", 7));
  g_assert_nonnull (strstr (tl_layer_editor_get_error (editor), "min below max"));
  g_assert_true (tl_layer_editor_set_param (editor, 6, "min", 0));
  g_assert_null (tl_layer_editor_get_error (editor));
  g_assert_true (tl_layer_editor_set_param (editor, 5, "padding", 1));
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, 5), "[8, 5, 5]"));
  g_assert_true (tl_layer_editor_set_param (editor, 1, "frozen_updates_stats", 1));
  g_assert_true (tl_layer_editor_get_spec (editor, 1)->frozen_stats);
  g_assert_false (tl_layer_editor_set_param (editor, 2, "min", 1));

  /* each new kind can be added from the editor */
  tl_layer_editor_add_layer (editor, TL_LAYER_HARDSWISH);
  g_assert_cmpint (tl_layer_editor_get_n_layers (editor), ==, G_N_ELEMENTS (specs) + 1);
  ui_screenshot (GTK_WIDGET (editor), "layer-editor-vision.png");
  gtk_window_destroy (GTK_WINDOW (win));
}

/* The Model page's stack: edits reach the experiment and the model, impossible ones do not. */
static void
test_layer_editor_document (void)
{
  TlModelPage *page = TL_MODEL_PAGE (tl_window_get_page (window, "model"));
  TlLayerEditor *editor = TL_LAYER_EDITOR (tl_model_page_get_layer_editor (page));
  TlDocument *doc = tl_window_get_document (window);
  int n0, prev;
  g_autofree char *expected = NULL;
  g_autofree char *json = NULL;
  TlLayer *layer;

  tl_window_show_step (window, "model");
  g_assert_nonnull (tl_document_get_source_model (doc));
  n0 = tl_model_n_layers (tl_document_get_source_model (doc));
  g_assert_cmpint (tl_layer_editor_get_n_layers (editor), ==, n0);
  g_assert_null (tl_layer_editor_get_error (editor));
  g_assert_false (tl_document_has_layers (doc));

  /* A new Dense goes in above the head; the experiment now lists the layers. */
  tl_layer_editor_add_layer (editor, TL_LAYER_DENSE);
  g_assert_cmpint (tl_layer_editor_get_n_layers (editor), ==, n0 + 1);
  g_assert_cmpstr (tl_layer_editor_get_error (editor), ==, NULL);
  g_assert_null (tl_window_get_error (window));
  g_assert_true (tl_document_has_layers (doc));
  g_assert_null (tl_document_get_experiment (doc)->architecture.preset);
  g_assert_cmpint (tl_document_get_experiment (doc)->architecture.n_layers, ==, n0 + 1);
  g_assert_cmpint (tl_model_n_layers (tl_document_get_source_model (doc)), ==, n0 + 1);
  g_assert_cmpint (tl_model_layer (tl_document_get_source_model (doc), n0 - 1)->spec.kind, ==, TL_LAYER_DENSE);

  /* Its units, edited through the spin button, reach the model and the row's count. */
  g_assert_true (tl_layer_editor_set_param (editor, n0 - 1, "units", 24));
  layer = tl_model_layer (tl_document_get_source_model (doc), n0 - 1);
  g_assert_cmpint (layer->spec.units, ==, 24);
  prev = layer->in_shape[0];
  g_assert_cmpint (prev * 24 + 24, <, 1000000);
  expected = prev * 24 + 24 >= 1000 ? g_strdup_printf (" %d,%03d ", (prev * 24 + 24) / 1000, (prev * 24 + 24) % 1000)
                                     : g_strdup_printf (" %d ", prev * 24 + 24);
  g_assert_nonnull (strstr (tl_layer_editor_get_row_text (editor, n0 - 1), expected));
  /* The head follows the classes. */
  g_assert_false (tl_layer_editor_set_param (editor, n0, "units", 7));
  g_assert_cmpint (tl_model_n_outputs (tl_document_get_source_model (doc)), ==, 4);

  /* Move a ReLU up and down. */
  tl_layer_editor_add_layer (editor, TL_LAYER_RELU);
  g_assert_cmpint (tl_layer_editor_get_spec (editor, n0)->kind, ==, TL_LAYER_RELU);
  tl_layer_editor_move_layer (editor, n0, -1);
  g_assert_cmpint (tl_layer_editor_get_spec (editor, n0 - 1)->kind, ==, TL_LAYER_RELU);
  g_assert_cmpint (tl_model_layer (tl_document_get_source_model (doc), n0 - 1)->spec.kind, ==, TL_LAYER_RELU);
  g_assert_cmpint (tl_model_layer (tl_document_get_source_model (doc), n0)->spec.units, ==, 24);
  tl_layer_editor_move_layer (editor, n0 - 1, 1);
  g_assert_cmpint (tl_model_layer (tl_document_get_source_model (doc), n0)->spec.kind, ==, TL_LAYER_RELU);

  /* A convolution on flat features cannot be built: an inline error, and the model stays. */
  tl_layer_editor_add_layer (editor, TL_LAYER_CONV2D);
  g_assert_nonnull (tl_layer_editor_get_error (editor));
  g_assert_cmpint (tl_layer_editor_get_error_index (editor), ==, n0 + 1);
  g_assert_cmpint (tl_model_n_layers (tl_document_get_source_model (doc)), ==, n0 + 2);
  g_assert_cmpint (tl_document_get_experiment (doc)->architecture.n_layers, ==, n0 + 2);
  ui_screenshot (GTK_WIDGET (window), "step-2-model-error.png");
  tl_layer_editor_remove_layer (editor, n0 + 1);
  g_assert_null (tl_layer_editor_get_error (editor));

  /* The experiment file carries the explicit list. */
  json = tl_experiment_to_string (tl_document_get_experiment (doc));
  g_assert_nonnull (strstr (json, "\"layers\""));
  g_assert_null (strstr (json, "\"preset\""));
  ui_screenshot (GTK_WIDGET (window), "step-2-model-custom.png");

  /* Saved and opened again, the experiment builds the same stack for its data. */
  {
    g_autofree char *saved = g_build_filename (tmp_dir, "custom.json", NULL);
    g_autoptr (GError) error = NULL;
    g_autoptr (GFile) file = g_file_new_for_path (saved);
    TlWindow *other;
    TlDocument *reopened;
    TlLayerEditor *other_editor;

    g_assert_true (tl_experiment_save (tl_document_get_experiment (doc), saved, &error));
    g_assert_no_error (error);
    other = tl_window_new (app);
    tl_window_open_file (other, file);
    reopened = tl_window_get_document (other);
    g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (other, "data"), 60));
    g_assert_true (tl_document_has_layers (reopened));
    g_assert_nonnull (tl_document_get_source_model (reopened));
    g_assert_cmpint (tl_model_n_layers (tl_document_get_source_model (reopened)), ==, n0 + 2);
    g_assert_cmpint (tl_model_layer (tl_document_get_source_model (reopened), n0 - 1)->spec.units, ==, 24);
    other_editor = TL_LAYER_EDITOR (tl_model_page_get_layer_editor (TL_MODEL_PAGE (tl_window_get_page (other, "model"))));
    g_assert_cmpint (tl_layer_editor_get_n_layers (other_editor), ==, n0 + 2);
    g_assert_null (tl_layer_editor_get_error (other_editor));
    tl_document_set_modified (reopened, FALSE);
    gtk_window_destroy (GTK_WINDOW (other));
  }

  /* Removing both added layers, then a preset, brings the preset's stack back. */
  tl_layer_editor_remove_layer (editor, n0);
  tl_layer_editor_remove_layer (editor, n0 - 1);
  g_assert_cmpint (tl_model_n_layers (tl_document_get_source_model (doc)), ==, n0);
  g_assert_true (tl_document_set_preset (doc, TL_PRESET_MLP, NULL));
  g_assert_false (tl_document_has_layers (doc));
  g_assert_cmpint (tl_layer_editor_get_n_layers (editor), ==, n0);
}

static void
test_freeze_through_table (void)
{
  TlTransferPage *page = TL_TRANSFER_PAGE (tl_window_get_page (window, "transfer"));
  TlLayerTable *table = TL_LAYER_TABLE (tl_transfer_page_get_layer_table (page));
  TlDocument *doc = tl_window_get_document (window);
  g_autofree char *before_text = g_strdup (tl_transfer_page_get_trainable_text (page));
  gsize before = tl_model_param_count (tl_document_get_target_model (doc), TRUE);
  gsize after;
  GtkWidget *sw;

  tl_window_show_step (window, "transfer");
  ui_spin (200);
  g_assert_cmpuint (tl_layer_table_get_n_rows (table), ==, (guint) tl_model_n_layers (tl_document_get_target_model (doc)));
  g_assert_cmpuint (before, ==, tl_model_param_count (tl_document_get_target_model (doc), FALSE));

  /* The row action on the first layer (a Dense after Flatten or the first Dense). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (table), "layers.freeze-below", "i", 1));
  after = tl_model_param_count (tl_document_get_target_model (doc), TRUE);
  g_assert_cmpuint (after, <, before);
  g_assert_cmpstr (tl_transfer_page_get_trainable_text (page), !=, before_text);
  g_assert_cmpint (tl_document_get_experiment (doc)->transfer.freeze_mode, ==, TL_FREEZE_BELOW);

  /* The switch of a row edits the same flag. */
  g_assert_cmpint (tl_model_layer (tl_document_get_target_model (doc), 1)->n_params, >, 0);
  sw = tl_layer_table_get_switch (table, 1);
  g_assert_nonnull (sw);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (sw)));
  if (!gtk_switch_get_active (GTK_SWITCH (sw)))
    {
      gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
      g_assert_cmpuint (tl_model_param_count (tl_document_get_target_model (doc), TRUE), >, after);
      gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
    }
  g_assert_cmpuint (tl_model_param_count (tl_document_get_target_model (doc), TRUE), ==, after);
  ui_screenshot (GTK_WIDGET (window), "step-3-transfer.png");
}


static void
test_training_runs (void)
{
  TlTrainPage *page = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlDocument *doc = tl_window_get_document (window);
  TlCurveView *loss, *accuracy;

  tl_document_get_experiment (doc)->pretrain.epochs = 3;
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 4;
  tl_document_get_experiment (doc)->transfer.finetune.batch_size = 8;
  tl_document_get_experiment (doc)->baseline = TRUE;
  tl_document_changed (doc, "params");
  tl_window_show_step (window, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (page)));
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (tl_window_is_training (window));
  /* defect 5: what the run uses cannot be edited while it runs */
  g_assert_false (gtk_widget_is_sensitive (tl_model_page_get_layer_editor (TL_MODEL_PAGE (tl_window_get_page (window, "model")))));
  g_assert_false (gtk_widget_is_sensitive (tl_layer_table_get_switch (
    TL_LAYER_TABLE (tl_transfer_page_get_layer_table (TL_TRANSFER_PAGE (tl_window_get_page (window, "transfer")))), 1)));
  g_assert_false (gtk_widget_is_sensitive (tl_window_get_page (window, "data")));
  tl_window_show_step (window, "model");
  g_assert_nonnull (tl_window_get_problems_text (window));
  ui_screenshot (GTK_WIDGET (window), "step-2-model-locked.png");
  tl_window_show_step (window, "train");
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_test_message ("run error: %s", tl_window_get_error (window));
  g_assert_null (tl_window_get_error (window));
  g_assert_true (gtk_widget_is_sensitive (tl_model_page_get_layer_editor (TL_MODEL_PAGE (tl_window_get_page (window, "model")))));
  g_assert_true (gtk_widget_is_sensitive (tl_window_get_page (window, "transfer")));

  loss = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, FALSE));
  accuracy = TL_CURVE_VIEW (tl_train_page_get_curve_view (page, TRUE));
  g_assert_cmpint (tl_curve_view_get_n_points (loss), >=, 4);
  g_assert_cmpint (tl_curve_view_get_n_points (accuracy), >=, 4);
  g_assert_nonnull (tl_document_get_result (doc));
  g_assert_nonnull (tl_document_get_run (doc, "transfer"));
  g_assert_nonnull (tl_document_get_run (doc, "baseline"));
  g_assert_nonnull (tl_document_get_metrics (doc));
  /* Every fine-tuning batch is on the per-batch line (4 epochs of equal batches), though
   * the figures reach the window coalesced. */
  g_assert_cmpint (tl_curve_view_get_n_batch_points (loss), >=, 8);
  g_assert_cmpint (tl_curve_view_get_n_batch_points (loss) % 4, ==, 0);
  g_assert_cmpint (tl_curve_view_get_n_batch_points (accuracy), ==, tl_curve_view_get_n_batch_points (loss));
  /* Coalescing: never more main-loop deliveries than batches trained. */
  g_assert_cmpuint (tl_train_page_get_n_batch_updates (page), >, 0);
  g_assert_cmpuint (tl_train_page_get_n_batch_updates (page), <=, tl_train_page_get_n_batches (page));
  g_test_message ("batches %" G_GUINT64_FORMAT ", deliveries %u, test accuracy %.3f",
                  tl_train_page_get_n_batches (page), tl_train_page_get_n_batch_updates (page),
                  tl_document_get_metrics (doc)->accuracy);
  ui_screenshot (GTK_WIDGET (window), "step-4-train.png");
}



static void
test_training_stop_and_resume (void)
{
  TlTrainPage *page = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlDocument *doc = tl_window_get_document (window);
  GtkWidget *resume = tl_train_page_get_resume_button (page);
  guint ref_transfer, ref_baseline;
  guint64 total;
  double ref_accuracy;
  UiBatchGoal goal = { page, 0 };

  tl_document_get_experiment (doc)->transfer.finetune.epochs = 10;
  tl_document_get_experiment (doc)->transfer.finetune.batch_size = 2;
  tl_document_changed (doc, "params");
  tl_window_show_step (window, "train");
  ui_spin (100);

  /* uninterrupted */
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_assert_null (tl_window_get_error (window));
  ref_transfer = tl_document_get_run (doc, "transfer")->history->epochs->len;
  ref_baseline = tl_document_get_run (doc, "baseline")->history->epochs->len;
  ref_accuracy = tl_document_get_run (doc, "transfer")->metrics->accuracy;
  total = tl_train_page_get_n_batches (page);
  g_assert_cmpuint (ref_transfer, ==, 10);
  g_assert_false (gtk_widget_get_visible (resume));

  /* stopped a quarter of the way, then resumed: the figures reach the window after the worker
   * has gone on, so it is paused first (held at its next batch) and stopped while held; with
   * nothing changed every stage would be reused from the run before, so all are retrained */
  gtk_check_button_set_active (GTK_CHECK_BUTTON (tl_train_page_get_retrain_check (page)), TRUE);
  g_signal_emit_by_name (tl_train_page_get_start_button (page), "clicked");
  gtk_check_button_set_active (GTK_CHECK_BUTTON (tl_train_page_get_retrain_check (page)), FALSE);
  goal.batches = total / 4;
  g_assert_true (ui_wait_for (ui_batches_reached, &goal, 300));
  g_assert_true (tl_train_page_is_running (page));
  g_signal_emit_by_name (tl_train_page_get_pause_button (page), "clicked");
  tl_train_page_stop (page);
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_assert_null (tl_window_get_error (window));
  /* the checkpoints are checked in a thread */
  g_assert_true (ui_wait_for (ui_widget_shown, resume, 30));
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (page)));

  g_signal_emit_by_name (resume, "clicked");
  g_assert_true (tl_train_page_is_running (page));
  g_assert_true (ui_wait_for (ui_training_done, page, 300));
  g_assert_null (tl_window_get_error (window));
  g_assert_false (gtk_widget_get_visible (resume));
  /* it went on from the checkpoint rather than from the beginning */
  g_assert_cmpuint (tl_train_page_get_n_batches (page), <, total);
  g_assert_cmpuint (tl_document_get_run (doc, "transfer")->history->epochs->len, ==, ref_transfer);
  g_assert_cmpuint (tl_document_get_run (doc, "baseline")->history->epochs->len, ==, ref_baseline);
  g_assert_cmpfloat (tl_document_get_run (doc, "transfer")->metrics->accuracy, ==, ref_accuracy);
  g_test_message ("resumed after %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " batches", goal.batches, total);
}


/* The view has its size (a loaded machine may lay the page out late). */
static gboolean
confusion_cell_placed (gpointer view)
{
  double x, y;
  return tl_confusion_view_cell_center (view, 1, 1, &x, &y);
}

static void
test_confusion_counts (void)
{
  TlEvaluatePage *page = TL_EVALUATE_PAGE (tl_window_get_page (window, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (page));
  TlDocument *doc = tl_window_get_document (window);
  const TlMetrics *m = tl_document_get_metrics (doc);
  int total = 0, row = -1, col = -1;
  double x, y;

  g_assert_nonnull (m);
  tl_window_show_step (window, "evaluate");
  ui_spin (300);
  g_assert_cmpint (tl_confusion_view_get_n_classes (view), ==, m->n_classes);
  for (int t = 0; t < m->n_classes; t++)
    for (int p = 0; p < m->n_classes; p++)
      {
        g_assert_cmpint (tl_confusion_view_get_count (view, t, p), ==, m->confusion[t * m->n_classes + p]);
        total += tl_confusion_view_get_count (view, t, p);
      }
  g_assert_cmpint (total, ==, m->n_samples);
  g_assert_cmpint (total, ==, tl_document_get_data (doc, TL_ROLE_TARGET)->test->n);
  g_assert_cmpuint (tl_evaluate_page_get_n_metric_rows (page), ==, (guint) m->n_classes + 2);

  /* A click on the centre of cell (1, 1) finds that cell and lists its samples. */
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  g_assert_true (ui_wait_for (confusion_cell_placed, view, 30));
  g_assert_true (tl_confusion_view_cell_center (view, 1, 1, &x, &y));
  g_assert_true (tl_confusion_view_cell_at (view, x, y, &row, &col));
  g_assert_cmpint (row, ==, 1);
  g_assert_cmpint (col, ==, 1);
  tl_confusion_view_select (view, row, col);
  g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (page), ==, (guint) tl_confusion_view_get_count (view, 1, 1));
  ui_screenshot (GTK_WIDGET (window), "step-5-evaluate.png");
}

static void
test_exports (void)
{
  TlExportPage *page = TL_EXPORT_PAGE (tl_window_get_page (window, "export"));
  static const struct { TlExportKind kind; const char *name; const char *magic; } cases[] = {
    { TL_EXPORT_KIND_MODEL, "model.safetensors", NULL },
    { TL_EXPORT_KIND_ONNX, "model.onnx", NULL },
    { TL_EXPORT_KIND_METRICS, "metrics.json", "{" },
    { TL_EXPORT_KIND_HISTORY, "history.csv", "epoch" },
    { TL_EXPORT_KIND_CONFUSION_CSV, "confusion.csv", NULL },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.png", "\x89PNG" },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.svg", "<?xml" },
    { TL_EXPORT_KIND_CONFUSION_PLOT, "confusion.pdf", "%PDF" },
    { TL_EXPORT_KIND_CURVES, "curves.png", "\x89PNG" },
    { TL_EXPORT_KIND_CURVES, "curves.pdf", "%PDF" },
  };
  g_autofree char *folder = g_build_filename (tmp_dir, "exports", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *bad = g_build_filename (tmp_dir, "curves.bmp", NULL);

  g_assert_cmpint (g_mkdir_with_parents (folder, 0755), ==, 0);
  tl_window_show_step (window, "export");
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (folder, cases[i].name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (tl_export_page_export (page, cases[i].kind, path, &error));
      g_assert_no_error (error);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      g_assert_cmpuint (len, >, 16);
      if (cases[i].magic != NULL)
        g_assert_true (g_str_has_prefix (contents, cases[i].magic));
    }
  /* An unknown extension is refused with a message, and nothing is written. */
  g_assert_false (tl_export_page_export (page, TL_EXPORT_KIND_CURVES, bad, &error));
  g_assert_nonnull (error);
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
  ui_screenshot (GTK_WIDGET (window), "step-6-export.png");
}

/* Runs the real binary; its output goes to the test log. Returns the exit status. */
static int
run_cli (const char *const *args)
{
  g_autofree char *binary = g_build_filename (g_getenv ("TL_BUILD_DIR"), "app", "transfer-lab", NULL);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status = -1;

  g_ptr_array_add (argv, binary);
  for (int i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                               &error));
  g_assert_no_error (error);
  g_test_message ("transfer-lab %s: %s%s", args[0], out, err);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* The predicted label of each line of a predictions CSV, by row. */
static GStrv
predicted_labels (const char *path)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GStrvBuilder) labels = g_strv_builder_new ();

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  for (int i = 1; lines[i] != NULL && lines[i][0] != '\0'; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], ",", 4);
      g_assert_cmpint (g_strv_length (fields), >=, 3);
      g_assert_cmpint (atoi (fields[0]), ==, i - 1);
      g_strv_builder_add (labels, fields[2]);
    }
  return g_strv_builder_end (labels);
}

/* Defect 1: Export > Fine-Tuned Model writes what `transfer-lab predict` needs, and the
 * exported model predicts, on the target file, what the run itself predicted for its test rows. */
static void
test_export_model_predicts (void)
{
  TlExportPage *page = TL_EXPORT_PAGE (tl_window_get_page (window, "export"));
  TlDocument *doc = tl_window_get_document (window);
  TlRunResult *run = tl_document_get_main_run (doc);
  const TlDataSlot *target = tl_document_target_slot (doc);
  g_autofree char *model = g_build_filename (tmp_dir, "exported.safetensors", NULL);
  g_autofree char *onnx = g_build_filename (tmp_dir, "exported.onnx", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "exported-predictions.csv", NULL);
  g_autoptr (TlModelInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) labels = NULL;
  const int *predictions;
  int n_predictions = 0, compared = 0;

  g_assert_nonnull (run);
  g_assert_true (tl_export_page_export (page, TL_EXPORT_KIND_MODEL, model, &error));
  g_assert_no_error (error);
  info = tl_model_file_read_header (model, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info->preprocessing);
  g_assert_nonnull (info->provenance);
  g_assert_cmpstrv (info->labels, run->labels);
  g_assert_true (tl_export_page_export (page, TL_EXPORT_KIND_ONNX, onnx, &error));
  g_assert_no_error (error);

  g_assert_cmpint (run_cli ((const char *const[]) { "predict", model, target->path, "--out", out, NULL }), ==, 0);
  labels = predicted_labels (out);
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  predictions = tl_document_get_predictions (doc, &n_predictions);
  g_assert_cmpint (n_predictions, ==, target->test->n);
  g_assert_nonnull (target->test->source_index);
  for (int i = 0; i < target->test->n; i++)
    {
      /* a line of the CSV (1-based, after the header) is row line - 2 of the predictions */
      int row = target->test->source_index[i] - 2;

      g_assert_cmpint (row, >=, 0);
      g_assert_cmpint (row, <, (int) g_strv_length (labels));
      g_assert_cmpstr (labels[row], ==, run->labels[predictions[i]]);
      compared++;
    }
  g_test_message ("predict on the exported model agrees with the run on all %d test rows", compared);
  g_assert_cmpint (compared, >, 0);
}

/* Defect 3: with Samples per Class on a CSV target, the Data page shows the rows the run
 * trained and tested on. */
static void
test_split_shown_is_run (void)
{
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (window, "data"));
  TlDocument *doc = tl_window_get_document (window);
  const TlDataSlot *target = tl_document_get_data (doc, TL_ROLE_TARGET);
  const TlMetrics *m = tl_document_get_metrics (doc);
  g_autofree char *testing = NULL;
  int counts[3] = { 0 };

  g_assert_nonnull (m);
  /* 10 labelled per class, for training and validation together */
  g_assert_cmpint (target->train->n + (target->val != NULL ? target->val->n : 0), ==, 30);
  tl_dataset_class_counts (target->train, counts);
  g_assert_cmpint (counts[0], ==, counts[1]);
  g_assert_cmpint (m->n_samples, ==, target->test->n);
  testing = g_strdup_printf ("%d for testing", m->n_samples);
  g_test_message ("data page: %s; the run tested on %d", tl_data_page_get_samples_text (page, TL_ROLE_TARGET),
                  m->n_samples);
  g_assert_nonnull (strstr (tl_data_page_get_samples_text (page, TL_ROLE_TARGET), testing));
}

static void
write_text_csv (const char *path, const char *const *words[2], int per_class, guint32 seed)
{
  static const char *const neutral[] = { "the", "a", "it", "was", "and", "this", "of", "with", "for", "my" };
  g_autoptr (GString) text = g_string_new ("text,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < 2 * per_class; i++)
    {
      int c = i % 2;

      g_string_append_c (text, '"');
      for (int w = 0; w < 10; w++)
        {
          const char *word = g_rand_int_range (rand, 0, 3) == 0 ? words[c][g_rand_int_range (rand, 0, 5)]
                                                                  : neutral[g_rand_int_range (rand, 0, 10)];
          g_string_append_printf (text, "%s%s", w > 0 ? " " : "", word);
        }
      g_string_append_printf (text, "\",%s\n", c == 0 ? "negative" : "positive");
    }
  g_assert_true (g_file_set_contents (path, text->str, (gssize) text->len, NULL));
}

/* Defects 1, 2 and 3 on text: a text transfer experiment built through the wizard gets
 * a text model, runs, lists a confusion cell's reviews, and its exported model predicts
 * with `transfer-lab predict` what the run predicted. */
static void
test_text_transfer_end_to_end (void)
{
  static const char *const book_neg[] = { "boring", "dull", "predictable", "tedious", "awful" };
  static const char *const book_pos[] = { "gripping", "moving", "brilliant", "wonderful", "great" };
  static const char *const kitchen_neg[] = { "broke", "rusty", "flimsy", "awful", "leaks" };
  static const char *const kitchen_pos[] = { "sturdy", "sharp", "great", "wonderful", "handy" };
  const char *const *books[2] = { book_neg, book_pos };
  const char *const *kitchen[2] = { kitchen_neg, kitchen_pos };
  g_autofree char *source = g_build_filename (tmp_dir, "books.csv", NULL);
  g_autofree char *target = g_build_filename (tmp_dir, "kitchen.csv", NULL);
  g_autofree char *model = g_build_filename (tmp_dir, "text-model.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "text-predictions.csv", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) labels = NULL;
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlModelPage *model_page = TL_MODEL_PAGE (tl_window_get_page (win, "model"));
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlEvaluatePage *evaluate = TL_EVALUATE_PAGE (tl_window_get_page (win, "evaluate"));
  TlConfusionView *view = TL_CONFUSION_VIEW (tl_evaluate_page_get_confusion_view (evaluate));
  TlPreset offered[8];
  guint n_offered;
  const TlDataSlot *slot;
  const TlMetrics *m;
  TlRunResult *run;
  const int *predictions;
  int n_predictions = 0, cell_t = -1, cell_p = -1;

  write_text_csv (source, books, 150, 3);
  write_text_csv (target, kitchen, 60, 4);
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  ui_spin (200);

  import_csv_into (win, TL_ROLE_SOURCE, source, "text-source", 0);
  g_assert_cmpint (tl_document_get_data (doc, TL_ROLE_SOURCE)->train->kind, ==, TL_DATA_TEXT);
  /* defect 2: a text model, and no preset offered that cannot read text */
  g_assert_true (g_str_has_prefix (tl_document_get_experiment (doc)->architecture.preset, "text-"));
  g_assert_nonnull (tl_document_get_source_model (doc));
  n_offered = tl_model_page_get_n_presets (model_page, offered);
  g_assert_cmpuint (n_offered, >=, 1);
  for (guint i = 0; i < n_offered; i++)
    g_assert_true (offered[i] != TL_PRESET_MLP && offered[i] != TL_PRESET_CNN);
  tl_window_show_step (win, "model");
  ui_screenshot (GTK_WIDGET (win), "text-2-model.png");

  import_csv_into (win, TL_ROLE_TARGET, target, "text-target", 20);
  slot = tl_document_get_data (doc, TL_ROLE_TARGET);
  g_assert_cmpint (slot->train->n + (slot->val != NULL ? slot->val->n : 0), ==, 40);
  tl_document_get_experiment (doc)->pretrain.epochs = 4;
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 6;
  tl_document_get_experiment (doc)->transfer.finetune.batch_size = 8;
  tl_document_get_experiment (doc)->baseline = FALSE;
  tl_document_changed (doc, "params");
  tl_window_show_step (win, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));
  m = tl_document_get_metrics (doc);
  run = tl_document_get_main_run (doc);
  g_assert_nonnull (m);
  g_test_message ("text transfer: test accuracy %.3f on %d reviews", m->accuracy, m->n_samples);
  g_assert_cmpint (m->n_samples, ==, slot->test->n);

  /* defect 3: a cell's reviews are listed */
  tl_window_show_step (win, "evaluate");
  g_assert_true (ui_wait_for (ui_predictions_ready, doc, 30));
  for (int t = 0; t < m->n_classes && cell_t < 0; t++)
    for (int p = 0; p < m->n_classes && cell_t < 0; p++)
      if (tl_confusion_view_get_count (view, t, p) > 0)
        cell_t = t, cell_p = p;
  g_assert_cmpint (cell_t, >=, 0);
  tl_confusion_view_select (view, cell_t, cell_p);
  g_assert_cmpuint (tl_evaluate_page_get_n_samples_shown (evaluate), ==,
                    (guint) MIN (tl_confusion_view_get_count (view, cell_t, cell_p), 200));
  ui_screenshot (GTK_WIDGET (win), "text-5-evaluate.png");
  ui_assert_sample_explained (evaluate, cell_p, TRUE, "text-explanation.png");

  /* defect 1: the exported model, read by the command line, predicts as the run did */
  g_assert_true (tl_export_page_export (TL_EXPORT_PAGE (tl_window_get_page (win, "export")), TL_EXPORT_KIND_MODEL,
                                        model, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_cli ((const char *const[]) { "predict", model, target, "--out", out, NULL }), ==, 0);
  labels = predicted_labels (out);
  predictions = tl_document_get_predictions (doc, &n_predictions);
  g_assert_cmpint (n_predictions, ==, slot->test->n);
  for (int i = 0; i < slot->test->n; i++)
    {
      int row = slot->test->source_index[i] - 2;

      g_assert_cmpint (row, >=, 0);
      g_assert_cmpint (row, <, (int) g_strv_length (labels));
      g_assert_cmpstr (labels[row], ==, run->labels[predictions[i]]);
    }
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

static gboolean
window_gone (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* A user's day: run, change a fine-tuning setting, run again (pretraining reused and
 * said so), compare the two runs, close, reopen and see both runs and the last results.
 * The runs are kept next to the experiment file, not in a cache. */
static void
test_run_history_day (void)
{
  static const char *const classes[] = { "red", "green", "blue" };
  g_autofree char *dir = g_build_filename (tmp_dir, "day", NULL);
  g_autofree char *source = g_build_filename (dir, "source.csv", NULL);
  g_autofree char *target = g_build_filename (dir, "target.csv", NULL);
  g_autofree char *path = g_build_filename (dir, "day.json", NULL);
  g_autofree char *cache = g_build_filename (g_get_user_cache_dir (), "transfer-lab", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  TlWindow *win = tl_window_new (app);
  gpointer weak = win;
  TlDocument *doc = tl_window_get_document (win);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  TlRunsView *runs = TL_RUNS_VIEW (tl_window_get_page (win, "runs"));
  TlRunResult *pretrain;
  g_autofree char *first_pretrain = NULL;
  g_autofree char *newest = NULL;
  double accuracy;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  write_csv (source, classes, 3, 60, 21);
  write_csv (target, classes, 3, 30, 22);
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  ui_spin (200);
  import_csv_into (win, TL_ROLE_SOURCE, source, "day-source", 0);
  import_csv_into (win, TL_ROLE_TARGET, target, "day-target", 10);
  tl_document_get_experiment (doc)->pretrain.epochs = 3;
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 3;
  tl_document_get_experiment (doc)->transfer.finetune.batch_size = 8;
  tl_document_get_experiment (doc)->baseline = TRUE;
  tl_document_store_plan (doc);
  g_assert_true (tl_experiment_save (tl_document_get_experiment (doc), path, &error));
  g_assert_no_error (error);
  tl_document_set_modified (doc, FALSE);
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_assert_null (tl_window_get_error (win));
  g_assert_null (tl_document_get_result (doc));
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 0);

  /* the first run */
  tl_window_show_step (win, "train");
  ui_spin (100);
  g_assert_true (gtk_widget_get_visible (tl_train_page_get_retrain_check (train)));
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));
  pretrain = tl_document_get_run (doc, "pretrain");
  g_assert_nonnull (pretrain);
  g_assert_null (pretrain->reused_from);
  g_assert_null (tl_train_page_get_reuse_text (train));
  first_pretrain = g_strdup (pretrain->model_path);
  /* kept beside the experiment, in its history, not in the cache */
  g_assert_true (g_str_has_prefix (tl_document_get_result (doc)->output_folder, dir));
  g_assert_false (g_file_test (cache, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 1);

  /* a fine-tuning setting changed: pretraining is reused, and the window says so */
  tl_document_get_experiment (doc)->transfer.finetune.epochs = 5;
  tl_document_changed (doc, "params");
  g_signal_emit_by_name (tl_train_page_get_start_button (train), "clicked");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_assert_null (tl_window_get_error (win));
  pretrain = tl_document_get_run (doc, "pretrain");
  g_assert_nonnull (pretrain->reused_from);
  g_assert_nonnull (tl_train_page_get_reuse_text (train));
  g_assert_nonnull (strstr (tl_train_page_get_reuse_text (train), tl_run_title ("pretrain")));
  ui_screenshot (GTK_WIDGET (win), "day-4-train-reused.png");
  accuracy = tl_document_get_metrics (doc)->accuracy;
  newest = g_strdup (tl_document_get_result (doc)->output_folder);

  /* both runs listed and compared: settings, metrics, curves, confusion difference */
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 2);
  {
    g_autofree char *text = tl_runs_view_get_run_text (runs, 0);
    g_test_message ("newest run: %s", text);
    g_assert_nonnull (strstr (text, "epochs"));
    g_assert_nonnull (strstr (text, "%"));
  }
  g_assert_true (tl_runs_view_compare (runs, 1, 0));
  g_assert_nonnull (strstr (tl_runs_view_get_settings_text (runs), "epochs"));
  g_assert_cmpuint (tl_runs_view_get_n_metric_rows (runs), >=, 3);
  g_assert_cmpint (tl_curve_view_get_n_runs (TL_CURVE_VIEW (tl_runs_view_get_curve_view (runs))), >=, 4);
  g_test_message ("confusion cells changed by %" G_GINT64_FORMAT, tl_runs_view_get_confusion_change (runs));
  tl_window_show_step (win, "runs");
  tl_window_dismiss_toast (win);
  ui_screenshot (GTK_WIDGET (win), "day-5-runs.png");
  gtk_window_set_default_size (GTK_WINDOW (win), 800, 600);
  ui_screenshot (GTK_WIDGET (win), "day-5-runs-800x600.png");
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);

  /* closed and reopened: the last results and both runs */
  tl_document_set_modified (doc, FALSE);
  g_object_add_weak_pointer (G_OBJECT (win), &weak);
  gtk_window_destroy (GTK_WINDOW (win));
  g_assert_true (ui_wait_for (window_gone, &weak, 10));
  win = tl_window_new (app);
  doc = tl_window_get_document (win);
  train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  runs = TL_RUNS_VIEW (tl_window_get_page (win, "runs"));
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_assert_nonnull (tl_document_get_result (doc));
  g_assert_cmpstr (tl_document_get_result (doc)->output_folder, ==, newest);
  g_assert_nonnull (tl_document_get_metrics (doc));
  g_assert_cmpfloat (tl_document_get_metrics (doc)->accuracy, ==, accuracy);
  g_assert_cmpstr (tl_train_page_get_status (train), !=, _("Not started"));
  g_assert_cmpint (tl_curve_view_get_n_runs (TL_CURVE_VIEW (tl_train_page_get_curve_view (train, FALSE))), >=, 2);
  g_assert_cmpuint (tl_runs_view_get_n_runs (runs), ==, 2);
  tl_window_show_step (win, "train");
  ui_screenshot (GTK_WIDGET (win), "day-6-reopened-train.png");
  tl_window_show_step (win, "runs");
  ui_screenshot (GTK_WIDGET (win), "day-6-reopened-runs.png");
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Defect 8: an experiment whose data files are not there (the sentiment demo away from
 * ../shared/data) opens anyway with its settings, marks the missing files without an
 * error banner, and takes them once located, the second found beside the first. */
static void
test_missing_files_located (void)
{
  static const char *const neg[] = { "boring", "dull", "broke", "awful", "flimsy" };
  static const char *const pos[] = { "gripping", "sturdy", "great", "wonderful", "handy" };
  const char *const *words[2] = { neg, pos };
  g_autofree char *shipped = g_build_filename (g_getenv ("TL_SOURCE_DIR"), "data", "experiments", "sentiment.json",
                                               NULL);
  g_autofree char *dir = g_build_filename (tmp_dir, "away", "experiments", NULL);
  g_autofree char *copy = g_build_filename (dir, "sentiment.json", NULL);
  g_autofree char *found = g_build_filename (tmp_dir, "found", NULL);
  g_autofree char *books = g_build_filename (found, "books.csv", NULL);
  g_autofree char *kitchen = g_build_filename (found, "kitchen.csv", NULL);
  g_autofree char *text = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (copy);
  g_autoptr (GFile) located = g_file_new_for_path (books);
  g_autoptr (GError) error = NULL;
  TlWindow *win = tl_window_new (app);
  TlDocument *doc = tl_window_get_document (win);
  TlDataPage *page = TL_DATA_PAGE (tl_window_get_page (win, "data"));
  const TlExperiment *exp;
  gsize len;

  g_assert_true (g_file_get_contents (shipped, &text, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (found, 0755), ==, 0);
  g_assert_true (g_file_set_contents (copy, text, (gssize) len, NULL));
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  ui_spin (200);
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 60));
  ui_spin (100);
  /* opened, no banner, the files marked, the rest kept */
  g_test_message ("error: %s", tl_window_get_error (win));
  g_assert_null (tl_window_get_error (win));
  g_assert_nonnull (tl_data_page_get_missing (page, TL_ROLE_SOURCE));
  g_assert_true (g_str_has_suffix (tl_data_page_get_missing (page, TL_ROLE_SOURCE), "books.csv"));
  g_assert_nonnull (tl_data_page_get_missing (page, TL_ROLE_TARGET));
  exp = tl_document_get_experiment (doc);
  g_assert_cmpstr (exp->name, ==, "sentiment");
  g_assert_nonnull (exp->description);
  g_assert_cmpint (exp->target.per_class, ==, 50);
  g_assert_false (tl_document_has_data (doc, TL_ROLE_SOURCE));
  ui_screenshot (GTK_WIDGET (win), "missing-1-marked.png");

  /* located: books.csv chosen, kitchen.csv beside it taken too */
  write_text_csv (books, words, 120, 5);
  write_text_csv (kitchen, words, 120, 6);
  tl_data_page_locate (page, TL_ROLE_SOURCE, located);
  g_assert_true (ui_wait_for (ui_data_loaded, page, 120));
  g_assert_null (tl_window_get_error (win));
  g_assert_null (tl_data_page_get_missing (page, TL_ROLE_SOURCE));
  g_assert_null (tl_data_page_get_missing (page, TL_ROLE_TARGET));
  g_assert_true (tl_document_has_data (doc, TL_ROLE_SOURCE));
  g_assert_true (tl_document_has_data (doc, TL_ROLE_TARGET));
  g_assert_cmpint (tl_document_get_experiment (doc)->target.per_class, ==, 50);
  /* the experiment now names where the files are: it is to be saved */
  g_assert_true (tl_document_get_modified (doc));
  ui_screenshot (GTK_WIDGET (win), "missing-2-located.png");

  /* the baseline's own epochs are shown and kept apart from the fine-tuning's */
  {
    TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
    GtkSpinButton *epochs = tl_train_page_get_epochs_spin (train, FALSE);
    GtkSpinButton *baseline = tl_train_page_get_epochs_spin (train, TRUE);
    TlExperiment *e = tl_document_get_experiment (doc);

    g_assert_true (gtk_widget_is_visible (GTK_WIDGET (baseline)));
    g_assert_cmpint (gtk_spin_button_get_value_as_int (epochs), ==, 10);
    g_assert_cmpint (gtk_spin_button_get_value_as_int (baseline), ==, 40);
    gtk_spin_button_set_value (epochs, 15);
    g_assert_cmpint (e->transfer.finetune.epochs, ==, 15);
    g_assert_cmpint (e->baseline_epochs, ==, 40);
    g_assert_cmpint (gtk_spin_button_get_value_as_int (baseline), ==, 40);
    /* the same epochs as the fine-tuning: the baseline follows them from then on */
    gtk_spin_button_set_value (baseline, 15);
    g_assert_cmpint (e->baseline_epochs, ==, 0);
    gtk_spin_button_set_value (epochs, 12);
    g_assert_cmpint (gtk_spin_button_get_value_as_int (baseline), ==, 12);
    g_assert_cmpint (e->baseline_epochs, ==, 0);
    gtk_spin_button_set_value (baseline, 60);
    g_assert_cmpint (e->baseline_epochs, ==, 60);
    g_assert_cmpint (e->transfer.finetune.epochs, ==, 12);
    /* tail averaging: off in this experiment, then the last four epochs */
    g_assert_cmpint (gtk_spin_button_get_value_as_int (tl_train_page_get_average_spin (train)), ==, 0);
    gtk_spin_button_set_value (tl_train_page_get_average_spin (train), 4);
    g_assert_cmpint (e->transfer.finetune.average_epochs, ==, 4);
    tl_window_show_step (win, "train");
    ui_spin (100);
    gtk_window_set_default_size (GTK_WINDOW (win), 1280, 1200);
    ui_spin (400);
    ui_screenshot (GTK_WIDGET (win), "train-baseline-epochs.png");
    /* without a baseline the row is hidden */
    e->baseline = FALSE;
    tl_document_changed (doc, "params");
    g_assert_false (gtk_widget_is_visible (GTK_WIDGET (baseline)));
  }
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

/* Defect 9: log-scale ticks of a loss within one decade do not overlap at any chart height;
 * defect 11: a Chinese y title is drawn upright, a Latin one rotated. */
static void
test_chart_ticks_and_titles (void)
{
  TlCurveView *view = TL_CURVE_VIEW (tl_curve_view_new (TL_CHART_LOSS));
  g_autoptr (TlHistory) history = tl_history_new ();
  TlLineChart *chart;
  g_autoptr (TlLineChart) titles = tl_line_chart_new ();

  g_object_ref_sink (view);
  for (int e = 1; e <= 8; e++)
    {
      TlEpochRecord r = { 0 };

      r.epoch = e;
      r.train_loss = 0.92f - 0.08f * e;
      r.val_loss = 0.95f - 0.075f * e;
      r.train_accuracy = r.val_accuracy = 0.5f;
      g_array_append_val (history->epochs, r);
    }
  tl_curve_view_set_history (view, 0, history, "transfer");
  tl_curve_view_set_log_scale (view, TRUE);
  chart = tl_curve_view_get_chart (view);
  for (int h = 120; h <= 400; h += 20)
    {
      double room = tl_line_chart_y_tick_room (chart, 320, h);

      if (room < 0)
        g_test_message ("height %d: tick labels overlap by %.1f px", h, -room);
      g_assert_cmpfloat (room, >=, 0);
    }
  g_object_unref (view);

  tl_line_chart_set_axis_labels (titles, "轮次", "损失");
  g_assert_true (tl_line_chart_y_label_upright (titles));
  tl_line_chart_set_axis_labels (titles, "Epoch", "Loss");
  g_assert_false (tl_line_chart_y_label_upright (titles));
}

/* Defect 4: a set-up that cannot train is caught before any training, shown on the page
 * where it is fixed, with Run off and saying why; the last results stay. The command
 * line refuses it too, with exit status 2, before any work. */
static void
test_checks_before_training (void)
{
  TlDocument *doc = tl_window_get_document (window);
  TlTrainPage *train = TL_TRAIN_PAGE (tl_window_get_page (window, "train"));
  TlModel *target = tl_document_get_target_model (doc);
  TlPipelineResult *result = tl_document_get_result (doc);
  g_autofree char *text_csv = g_build_filename (tmp_dir, "reviews.csv", NULL);
  g_autofree char *images = g_build_filename (tmp_dir, "images", NULL);
  g_autofree char *bad = g_build_filename (tmp_dir, "bad.json", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "bad-results", NULL);
  g_autoptr (TlExperiment) exp = tl_experiment_new ();
  g_autoptr (GError) error = NULL;
  const char *message = NULL, *field = NULL;
  gboolean *trainable;
  int n = tl_model_n_layers (target);

  g_assert_nonnull (result);
  g_assert_cmpuint (tl_window_get_problems (window, NULL, NULL, NULL), ==, 0);
  g_assert_null (tl_train_page_get_blocked (train));

  /* every layer frozen, the new head included */
  trainable = g_new (gboolean, n);
  for (int i = 0; i < n; i++)
    {
      trainable[i] = tl_model_layer (target, i)->trainable;
      tl_model_set_trainable (target, i, FALSE);
    }
  tl_document_changed (doc, "transfer");
  g_assert_cmpuint (tl_window_get_problems (window, "transfer", &message, &field), ==, 1);
  g_test_message ("transfer page: %s: %s", field, message);
  g_assert_cmpstr (field, ==, "transfer.freeze.below");
  g_assert_null (strstr (message, "would freeze..."));
  g_assert_cmpuint (tl_window_get_problems (window, "data", NULL, NULL), ==, 0);
  tl_window_show_step (window, "transfer");
  g_assert_nonnull (tl_window_get_problems_text (window));
  ui_screenshot (GTK_WIDGET (window), "check-transfer-frozen.png");
  tl_window_show_step (window, "train");
  g_assert_false (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));
  g_assert_false (gtk_widget_is_sensitive (tl_train_page_get_start_button (train)));
  g_assert_nonnull (tl_train_page_get_blocked (train));
  g_test_message ("train page: %s", tl_train_page_get_blocked (train));
  /* Ctrl+Return (the header bar's Run) does not start it either */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.start-training", NULL);
  g_assert_false (tl_train_page_is_running (train));
  ui_screenshot (GTK_WIDGET (window), "check-train-blocked.png");
  /* Start cannot throw the last results away */
  tl_train_page_start (train);
  g_assert_false (tl_train_page_is_running (train));
  g_assert_true (tl_document_get_result (doc) == result);

  for (int i = 0; i < n; i++)
    tl_model_set_trainable (target, i, trainable[i]);
  g_free (trainable);
  tl_document_changed (doc, "transfer");
  g_assert_cmpuint (tl_window_get_problems (window, NULL, NULL, NULL), ==, 0);
  g_assert_null (tl_window_get_problems_text (window));
  g_assert_true (gtk_widget_get_sensitive (tl_train_page_get_start_button (train)));

  /* the command line: a text source and an image target, and every layer frozen */
  g_assert_true (g_file_set_contents (text_csv, "text,label\n\"good\",pos\n\"bad\",neg\n", -1, NULL));
  exp->source.path = g_strdup (text_csv);
  exp->source.text_column = g_strdup ("text");
  exp->target.format = TL_DATA_FORMAT_IMAGES;
  exp->target.path = g_strdup (images);
  exp->target.test_fraction = 0.2;
  g_free (exp->architecture.preset);
  exp->architecture.preset = g_strdup ("text-pool");
  g_assert_true (tl_experiment_save (exp, bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (run_cli ((const char *const[]) { "run", bad, "--out", out, NULL }), ==, 2);
  g_assert_cmpint (run_cli ((const char *const[]) { "run", bad, "--out", out, "--set", "target.path=none",
                                                    "--set", "target.format=csv", "--set", "transfer.freeze.below=4",
                                                    NULL }), ==, 2);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

static void
test_dark_screenshot (void)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_DARK);
  tl_window_show_step (window, "train");
  ui_screenshot (GTK_WIDGET (window), "step-4-train-dark.png");
  tl_window_show_step (window, "evaluate");
  ui_screenshot (GTK_WIDGET (window), "step-5-evaluate-dark.png");
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
}

/* Class-count charts grow with the number of classes, so bars stay readable. */
static void
test_bar_chart_heights (void)
{
  static const char *const names[] = {
    "alt.atheism", "comp.graphics", "comp.os.ms-windows.misc", "comp.sys.ibm.pc.hardware",
    "comp.sys.mac.hardware", "comp.windows.x", "misc.forsale", "rec.autos", "rec.motorcycles",
    "rec.sport.baseball", "rec.sport.hockey", "sci.crypt", "sci.electronics", "sci.med", "sci.space",
    "soc.religion.christian", "talk.politics.guns", "talk.politics.mideast", "talk.politics.misc",
    "talk.religion.misc",
  };
  int counts[20], heights[2];
  const int sizes[2] = { 5, 20 };

  for (int i = 0; i < 20; i++)
    counts[i] = 400 + (i * 97) % 300;
  for (int k = 0; k < 2; k++)
    {
      GtkWidget *win = gtk_window_new ();
      GtkWidget *bars = tl_bar_view_new ();
      g_autofree char *name = g_strdup_printf ("bars-%d.png", sizes[k]);
      int minimum, natural;

      tl_bar_view_set_counts (TL_BAR_VIEW (bars), sizes[k], names, counts, NULL);
      gtk_widget_measure (bars, GTK_ORIENTATION_VERTICAL, 700, &minimum, &natural, NULL, NULL);
      heights[k] = minimum;
      /* At least 20 pixels a class besides the axis, never squashed below the natural height. */
      g_assert_cmpint (minimum, >=, 76 + 20 * sizes[k]);
      g_assert_cmpint (minimum, ==, natural);
      gtk_window_set_child (GTK_WINDOW (win), bars);
      gtk_window_set_default_size (GTK_WINDOW (win), 700, -1);
      gtk_window_present (GTK_WINDOW (win));
      ui_screenshot (bars, name);
      g_assert_cmpint (gtk_widget_get_height (bars), >=, minimum);
      gtk_window_destroy (GTK_WINDOW (win));
    }
  g_assert_cmpint (heights[1], >, heights[0] * 2);
}

/* The demo in one click: an experiment whose synthetic source folder is missing and
 * names its generator runs from the window; the voices are generated first, in a
 * worker, while the Train page says so. */
static void
test_run_generates_missing_source (void)
{
  const char *src = g_getenv ("TL_SOURCE_DIR");
  g_autofree char *espeak = g_find_program_in_path ("espeak-ng");
  g_autofree char *sox = g_find_program_in_path ("sox");
  g_autofree char *python = g_find_program_in_path ("python3");
  g_autofree char *shipped = g_build_filename (src, "data", "experiments", "spoken-digits.json", NULL);
  g_autofree char *generator = g_build_filename (src, "tools", "make-synthetic-digits.py", NULL);
  g_autofree char *dir = g_build_filename (tmp_dir, "demo-generate", NULL);
  g_autofree char *voices = g_build_filename (dir, "voices", NULL);
  g_autofree char *speaker = g_build_filename (dir, "speaker", NULL);
  g_autofree char *copy = g_build_filename (dir, "spoken-digits.json", NULL);
  g_autofree char *seven = g_build_filename (voices, "en-us_m1", "7", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonGenerator) gen = json_generator_new ();
  g_autoptr (GFile) file = g_file_new_for_path (copy);
  g_autoptr (GError) error = NULL;
  JsonObject *root, *section;
  TlWindow *win;
  TlTrainPage *train;
  TlDocument *doc;
  int status = -1;

  if (espeak == NULL || sox == NULL || python == NULL)
    {
      g_test_skip ("espeak-ng, sox or python3 is not installed: the synthetic voices cannot be generated");
      return;
    }
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  /* the target: two other voices, made here */
  {
    const char *argv[] = { python, generator, speaker, "--voices", "en-gb+m3,en-us+f2", "--per-digit", "6", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL,
                                 &status, &error));
    g_assert_no_error (error);
    g_assert_cmpint (status, ==, 0);
  }
  /* the shipped experiment, its source not there yet, on a small budget */
  g_assert_true (json_parser_load_from_file (parser, shipped, &error));
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  section = json_object_get_object_member (root, "source");
  json_object_set_string_member (section, "path", "voices");
  json_object_set_string_member (section, "generate", generator);
  json_object_set_int_member (section, "per_class", 30);
  section = json_object_get_object_member (root, "target");
  json_object_set_string_member (section, "path", "speaker");
  json_object_set_int_member (section, "per_class", 3);
  json_object_set_int_member (json_object_get_object_member (root, "pretrain"), "epochs", 1);
  json_object_set_int_member (json_object_get_object_member (root, "transfer"), "epochs", 1);
  json_generator_set_root (gen, json_parser_get_root (parser));
  g_assert_true (json_generator_to_file (gen, copy, &error));
  g_assert_no_error (error);

  win = tl_window_new (app);
  doc = tl_window_get_document (win);
  train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  gtk_window_set_default_size (GTK_WINDOW (win), 1280, 860);
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 60));
  g_test_message ("blocked: %s", tl_train_page_get_blocked (train));
  g_assert_null (tl_train_page_get_blocked (train));
  tl_window_show_step (win, "train");
  tl_train_page_start (train);
  g_assert_true (tl_train_page_is_running (train));
  g_assert_cmpstr (tl_train_page_get_status (train), ==, _("Generating data"));
  ui_spin (200);
  ui_screenshot (GTK_WIDGET (win), "demo-generating.png");
  g_assert_true (ui_wait_for (ui_training_done, train, 300));
  g_test_message ("error: %s", tl_window_get_error (win));
  g_assert_null (tl_window_get_error (win));
  g_assert_true (g_file_test (seven, G_FILE_TEST_IS_DIR));
  g_assert_nonnull (tl_document_get_result (doc));
  g_assert_nonnull (tl_document_get_result (doc)->summary_path);
  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
}

int
main (int argc, char **argv)
{
  int status;

  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  window = tl_window_new (app);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  ui_spin (300);

  g_test_add_func ("/ui/window-opens", test_window_opens);
  g_test_add_func ("/ui/wizard-error-keeps-choices", test_wizard_error_keeps_choices);
  g_test_add_func ("/ui/wizard-images", test_wizard_images);
  g_test_add_func ("/ui/wizard-imports", test_wizard_imports);
  g_test_add_func ("/ui/wizard-ragged-csv", test_wizard_ragged_csv);
  g_test_add_func ("/ui/wizard-encoding", test_wizard_encoding);
  g_test_add_func ("/ui/wizard-image-defaults", test_wizard_image_defaults);
  g_test_add_func ("/ui/wizard-idx-test-file", test_wizard_idx_test_file);
  g_test_add_func ("/ui/layer-editor-shapes", test_layer_editor_shapes);
  g_test_add_func ("/ui/layer-editor-vision", test_layer_editor_vision);
  g_test_add_func ("/ui/layer-editor-document", test_layer_editor_document);
  g_test_add_func ("/ui/freeze-through-table", test_freeze_through_table);
  g_test_add_func ("/ui/training-runs", test_training_runs);
  g_test_add_func ("/ui/training-stop-and-resume", test_training_stop_and_resume);
  g_test_add_func ("/ui/confusion-counts", test_confusion_counts);
  g_test_add_func ("/ui/exports", test_exports);
  g_test_add_func ("/ui/export-model-predicts", test_export_model_predicts);
  g_test_add_func ("/ui/split-shown-is-run", test_split_shown_is_run);
  g_test_add_func ("/ui/checks-before-training", test_checks_before_training);
  g_test_add_func ("/ui/text-transfer-end-to-end", test_text_transfer_end_to_end);
  g_test_add_func ("/ui/run-history-day", test_run_history_day);
  g_test_add_func ("/ui/missing-files-located", test_missing_files_located);
  g_test_add_func ("/ui/chart-ticks-and-titles", test_chart_ticks_and_titles);
  g_test_add_func ("/ui/dark-screenshots", test_dark_screenshot);
  g_test_add_func ("/ui/bar-chart-heights", test_bar_chart_heights);
  g_test_add_func ("/ui/run-generates-missing-source", test_run_generates_missing_source);
  status = g_test_run ();

  tl_document_set_modified (tl_window_get_document (window), FALSE);
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  return status;
}
