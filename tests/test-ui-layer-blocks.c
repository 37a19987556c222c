#include "config.h"

#include <stdio.h>

#include <adwaita.h>

#include "tl-application.h"
#include "tl-layer-block.h"
#include "tl-layer-row.h"
#include "tl-layer-table.h"
#include "ui-check.h"

/* A graph model in the layer table: each residual block or gated block is
 * one collapsed row that expands into its layers; its switch freezes or
 * trains all of them, and "freeze up to here" on it freezes through its last
 * layer. A plain stack keeps one row per layer. */

static TlApplication *app;
static char *tmp_dir;

/* stem (2 layers), a residual block and the ReLU after it (7), a depthwise
 * convolution and the squeeze-excitation gate that scales it (5), the pool and
 * the head (2): 17 layers, 2 blocks, 5 rows outside them. */
static TlModel *
make_graph (void)
{
  TlModel *m = tl_model_new (3, (int[]) { 3, 16, 16 }, 1);

  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .padding = 1 },
                "stem", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "stem_relu", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .padding = 1 },
                "layer1_conv1", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, "layer1_bn1", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "layer1_relu1", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .padding = 1 },
                "layer1_conv2", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_BATCHNORM2D }, "layer1_bn2", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "layer1_add", 2, (int[]) { 6, 1 });
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU }, "layer1_relu2", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .padding = 1, .groups = 8 },
       "se_dw", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "se_pool", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "se_fc1", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 8 }, "se_fc2", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_HARDSIGMOID }, "se_gate", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_MUL }, "se_scale", 2, (int[]) { 9, 13 });
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 3 }, "fc", 0, NULL);
  return m;
}

static void
test_blocks_grouped (void)
{
  g_autoptr (TlModel) model = make_graph ();
  g_autoptr (GListStore) rows = g_list_store_new (TL_TYPE_LAYER_ROW);
  g_autoptr (GListStore) top = NULL;
  TlLayerBlock *block;

  for (int i = 0; i < tl_model_n_layers (model); i++)
    {
      g_autoptr (TlLayerRow) row = tl_layer_row_new (model, i);
      g_list_store_append (rows, row);
    }
  top = tl_layer_blocks_group (model, G_LIST_MODEL (rows));
  g_assert_nonnull (top);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (top)), ==, 7);
  block = g_list_model_get_item (G_LIST_MODEL (top), 2);
  g_assert_true (TL_IS_LAYER_BLOCK (block));
  g_assert_cmpint (tl_layer_block_get_first (block), ==, 2);
  g_assert_cmpint (tl_layer_block_get_last (block), ==, 8);          /* with the ReLU after the Add */
  g_assert_cmpstr (tl_layer_block_get_title (block), ==, "layer1");
  {
    g_autofree char *what = tl_layer_item_describe (G_OBJECT (block));
    g_assert_nonnull (strstr (what, "7"));
    g_assert_nonnull (strstr (what, "Add"));
  }
  /* frozen and trained as one */
  tl_layer_block_set_trainable (block, FALSE);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    if (tl_layer_param_count (tl_model_layer (model, i)) > 0)
      g_assert_cmpint (tl_model_layer (model, i)->trainable, ==, i < 2 || i > 8);
  g_assert_false (tl_layer_block_get_trainable (block));
  tl_layer_block_set_trainable (block, TRUE);
  g_assert_true (tl_model_layer (model, 2)->trainable);
  g_object_unref (block);

  /* the gate reads the convolution before it, which stays a row */
  block = g_list_model_get_item (G_LIST_MODEL (top), 4);
  g_assert_true (TL_IS_LAYER_BLOCK (block));
  g_assert_cmpint (tl_layer_block_get_first (block), ==, 10);
  g_assert_cmpint (tl_layer_block_get_last (block), ==, 14);
  g_assert_cmpstr (tl_layer_block_get_title (block), ==, "se");
  {
    g_autofree char *what = tl_layer_item_describe (G_OBJECT (block));
    g_assert_nonnull (strstr (what, "Mul"));
  }
  g_object_unref (block);
  {
    g_autoptr (GObject) dw = g_list_model_get_item (G_LIST_MODEL (top), 3);
    g_assert_true (TL_IS_LAYER_ROW (dw));
    g_assert_cmpint (tl_layer_row_get_index (TL_LAYER_ROW (dw)), ==, 9);
  }

  /* layers standing alone are grouped by the module their names give (an import's "features_0_0") */
  {
    g_autoptr (TlModel) m = tl_model_new (3, (int[]) { 2, 8, 8 }, 1);
    g_autoptr (GListStore) all = g_list_store_new (TL_TYPE_LAYER_ROW);
    g_autoptr (GListStore) items = NULL;
    g_autoptr (TlLayerBlock) first = NULL, second = NULL;

    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 3, .padding = 1 },
                  "features_0_0", 0, NULL);
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU6 }, "features_0_2", 0, NULL);
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_CONV2D, .filters = 4, .kernel = 1 },
                  "features_1_conv_0", 0, NULL);
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_RELU6 }, "features_1_conv_1", 0, NULL);
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "features_1_add", 2, (int[]) { 3, 1 });
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "pool", 0, NULL);
    ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "fc", 0, NULL);
    for (int i = 0; i < tl_model_n_layers (m); i++)
      {
        g_autoptr (TlLayerRow) row = tl_layer_row_new (m, i);
        g_list_store_append (all, row);
      }
    items = tl_layer_blocks_group (m, G_LIST_MODEL (all));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (items)), ==, 4);
    first = g_list_model_get_item (G_LIST_MODEL (items), 0);
    g_assert_cmpstr (tl_layer_block_get_title (first), ==, "features_0");
    g_assert_cmpint (tl_layer_block_get_last (first), ==, 1);
    second = g_list_model_get_item (G_LIST_MODEL (items), 1);
    g_assert_cmpstr (tl_layer_block_get_title (second), ==, "features_1");
    g_assert_cmpint (tl_layer_block_get_first (second), ==, 2);
    g_assert_cmpint (tl_layer_block_get_last (second), ==, 4);
  }

  /* a plain stack has no blocks */
  {
    g_autoptr (TlModel) plain = tl_model_new (1, (int[]) { 4 }, 1);
    g_autoptr (GListStore) one = g_list_store_new (TL_TYPE_LAYER_ROW);
    g_autoptr (TlLayerRow) row = NULL;

    ui_model_add (plain, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 2 }, "fc", 0, NULL);
    row = tl_layer_row_new (plain, 0);
    g_list_store_append (one, row);
    g_assert_null (tl_layer_blocks_group (plain, G_LIST_MODEL (one)));
  }
}

static void
test_table_collapses (void)
{
  g_autoptr (TlModel) model = make_graph ();
  GtkWidget *window = gtk_window_new ();
  GtkWidget *table = tl_layer_table_new ();
  TlLayerTable *t = TL_LAYER_TABLE (table);
  GtkWidget *sw;

  gtk_window_set_default_size (GTK_WINDOW (window), 1100, 700);
  gtk_window_set_child (GTK_WINDOW (window), table);
  tl_layer_table_set_model (t, model);
  gtk_window_present (GTK_WINDOW (window));
  ui_spin (300);

  g_assert_cmpuint (tl_layer_table_get_n_rows (t), ==, 17);
  /* the residual block's switch (rows: stem, stem_relu, layer1, ...) freezes its layers */
  sw = tl_layer_table_get_switch (t, 2);
  g_assert_nonnull (sw);
  g_assert_true (gtk_widget_get_visible (sw));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (sw)));
  gtk_switch_set_active (GTK_SWITCH (sw), FALSE);
  g_assert_false (tl_model_layer (model, 2)->trainable);
  g_assert_false (tl_model_layer (model, 5)->trainable);
  g_assert_true (tl_model_layer (model, 0)->trainable);
  g_assert_true (tl_model_layer (model, 9)->trainable);

  /* freezing up to the gated block freezes through its last layer */
  gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
  g_assert_true (tl_model_layer (model, 2)->trainable);
  gtk_widget_activate_action (table, "layers.freeze-below", "i", 14);
  for (int i = 0; i < tl_model_n_layers (model); i++)
    if (tl_layer_param_count (tl_model_layer (model, i)) > 0)
      g_assert_cmpint (tl_model_layer (model, i)->trainable, ==, i > 14);
  ui_spin (100);
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (sw)));

  ui_spin (100);
  ui_screenshot (window, "layer-blocks.png");

  g_assert_cmpuint (tl_layer_table_get_n_shown_rows (t), ==, 7);
  g_assert_false (tl_layer_table_expand (t, 0, TRUE));            /* the stem's convolution is a layer */
  g_assert_true (tl_layer_table_expand (t, 4, TRUE));             /* the gated block */
  g_assert_cmpuint (tl_layer_table_get_n_shown_rows (t), ==, 12);
  g_assert_true (tl_layer_table_expand (t, 2, TRUE));             /* the residual block */
  g_assert_cmpuint (tl_layer_table_get_n_shown_rows (t), ==, 19);
  ui_spin (300);
  ui_screenshot (window, "layer-blocks-expanded.png");
  g_assert_true (tl_layer_table_expand (t, 2, FALSE));
  g_assert_cmpuint (tl_layer_table_get_n_shown_rows (t), ==, 12);
  g_assert_true (tl_layer_table_expand (t, 4, FALSE));
  g_assert_cmpuint (tl_layer_table_get_n_shown_rows (t), ==, 7);
  ui_spin (300);

  tl_layer_table_set_model (t, NULL);
  gtk_window_destroy (GTK_WINDOW (window));
  ui_spin (50);
}

int
main (int argc, char **argv)
{
  if (!ui_check_init (&argc, &argv, &tmp_dir))
    {
      printf ("1..0 # SKIP no display (run under xvfb-run)\n");
      return 0;
    }
  app = tl_application_new ();
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_test_add_func ("/ui/layer-blocks/grouped", test_blocks_grouped);
  g_test_add_func ("/ui/layer-blocks/table-collapses", test_table_collapses);
  return g_test_run ();
}
