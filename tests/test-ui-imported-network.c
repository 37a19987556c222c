#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "tl-application.h"
#include "tl-document.h"
#include "tl-layer-table.h"
#include "tl-model-file.h"
#include "tl-pipeline.h"
#include "tl-pretrained-card.h"
#include "tl-train-page.h"
#include "tl-transfer-page.h"
#include "tl-window.h"
#include "ui-check.h"

/* An imported network, a residual graph, fine-tuned in the window: the
 * experiment names the model file and a target and has no source. Start
 * trains the block above the frozen stem over cached features, the layer
 * table shows the block as one row, and the frozen weights stay those of the
 * file. */

#define FASHION "/usr/share/datasets/fashion-mnist/"
#define FROZEN 4   /* the stem: two convolutions and their ReLUs */

static TlApplication *app;
static char *tmp_dir;

/* A stem down to 7x7, one residual block, the pool and a 10-way head. */
static TlModel *
make_network (void)
{
  TlModel *m = tl_model_new (3, (int[]) { 1, 28, 28 }, 5);
  const TlLayerSpec down8 = { .kind = TL_LAYER_CONV2D, .filters = 8, .kernel = 3, .stride = 2, .padding = 1 };
  const TlLayerSpec down16 = { .kind = TL_LAYER_CONV2D, .filters = 16, .kernel = 3, .stride = 2, .padding = 1 };
  const TlLayerSpec conv16 = { .kind = TL_LAYER_CONV2D, .filters = 16, .kernel = 3, .padding = 1 };
  const TlLayerSpec relu = { .kind = TL_LAYER_RELU };

  ui_model_add (m, down8, "conv1", 0, NULL);
  ui_model_add (m, relu, "relu", 0, NULL);
  ui_model_add (m, down16, "conv2", 0, NULL);
  ui_model_add (m, relu, "relu2", 0, NULL);
  ui_model_add (m, conv16, "layer1_conv1", 0, NULL);
  ui_model_add (m, relu, "layer1_relu", 0, NULL);
  ui_model_add (m, conv16, "layer1_conv2", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_ADD }, "layer1_add", 2, (int[]) { 6, 3 });
  ui_model_add (m, relu, "layer1_relu_1", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_GLOBAL_AVG_POOL2D }, "avgpool", 0, NULL);
  ui_model_add (m, (TlLayerSpec) { .kind = TL_LAYER_DENSE, .units = 10 }, "fc", 0, NULL);
  return m;
}

static void
assert_same_layer (TlModel *a, TlModel *b, int i, gboolean same)
{
  const TlLayer *la = tl_model_layer (a, i), *lb = tl_model_layer (b, i);

  for (int p = 0; p < la->n_params; p++)
    {
      const gboolean equal = memcmp (la->params[p].value->data, lb->params[p].value->data,
                                     la->params[p].value->size * sizeof (float)) == 0;
      g_assert_cmpint (equal, ==, same);
    }
}

static void
test_fine_tune_imported (void)
{
  g_autofree char *model_path = g_build_filename (tmp_dir, "network.safetensors", NULL);
  g_autofree char *exp_path = g_build_filename (tmp_dir, "imported.json", NULL);
  g_autofree char *json = NULL;
  g_autoptr (TlModel) network = NULL;
  g_autoptr (TlModel) reread = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  TlWindow *win;
  TlDocument *doc;
  TlTrainPage *train;
  TlRunResult *run;

  if (!g_file_test (FASHION "t10k-images-idx3-ubyte.gz", G_FILE_TEST_EXISTS))
    {
      g_test_skip ("no Fashion-MNIST in " FASHION);
      return;
    }
  network = make_network ();
  /* as `transfer-lab import network.onnx --mean 0.29 --std 0.35` writes it */
  {
    g_autoptr (TlModelInfo) info = tl_model_info_new ();

    info->preprocessing = json_from_string ("{\"kind\": \"image\", \"width\": 28, \"height\": 28, \"channels\": 1,"
                                            " \"class_names\": [\"0\", \"1\", \"2\", \"3\", \"4\", \"5\", \"6\","
                                            " \"7\", \"8\", \"9\"], \"mean\": [0.29], \"std\": [0.35]}", NULL);
    info->provenance = json_from_string ("{\"imported_from\": \"network.onnx\", \"onnx_opset\": 17}", NULL);
    g_assert_true (tl_model_file_save (model_path, network, info, &error));
    g_assert_no_error (error);
  }
  json = g_strdup_printf (
    "{ \"format_version\": 1, \"name\": \"imported\", \"seed\": 3,"
    " \"pretrain\": { \"model\": \"%s\" },"
    " \"target\": { \"format\": \"idx\", \"path\": \"" FASHION "train-images-idx3-ubyte.gz\","
    " \"labels\": \"" FASHION "train-labels-idx1-ubyte.gz\", \"test_path\": \"" FASHION "t10k-images-idx3-ubyte.gz\","
    " \"test_labels\": \"" FASHION "t10k-labels-idx1-ubyte.gz\","
    " \"classes\": [\"Sandal\", \"Shirt\", \"Sneaker\", \"Bag\", \"Ankle boot\"], \"per_class\": 30,"
    " \"test_per_class\": 60, \"val_fraction\": 0.0, \"test_fraction\": 0.0, \"grey\": true },"
    " \"transfer\": { \"freeze\": { \"below\": %d }, \"rebuild_head\": true, \"feature_cache\": true,"
    " \"epochs\": 20, \"batch_size\": 10, \"optimizer\": { \"kind\": \"adam\", \"lr\": 0.003 } },"
    " \"baseline\": false }",
    model_path, FROZEN);
  g_assert_true (g_file_set_contents (exp_path, json, -1, NULL));
  file = g_file_new_for_path (exp_path);

  win = tl_window_new (app);
  doc = tl_window_get_document (win);
  gtk_window_set_default_size (GTK_WINDOW (win), 1024, 700);   /* a small laptop's screen */
  gtk_window_present (GTK_WINDOW (win));
  tl_window_open_file (win, file);
  g_assert_true (ui_wait_for (ui_data_loaded, tl_window_get_page (win, "data"), 120));
  g_assert_null (tl_window_get_error (win));

  /* the layer table: the residual block is one row, which expands into its layers */
  tl_window_show_step (win, "transfer");
  ui_spin (300);
  {
    TlLayerTable *table = TL_LAYER_TABLE (tl_transfer_page_get_layer_table (
      TL_TRANSFER_PAGE (tl_window_get_page (win, "transfer"))));

    const guint collapsed = tl_layer_table_get_n_shown_rows (table);
    int block = -1;


    g_assert_cmpuint (collapsed, <, 11);
    for (guint i = 0; i < collapsed && block < 0; i++)
      if (tl_layer_table_expand (table, i, TRUE))
        block = (int) i;
    g_assert_cmpint (block, >=, 0);
    /* the block's five layers (two convolutions, their ReLUs and the join) under its row */
    g_assert_cmpuint (tl_layer_table_get_n_shown_rows (table), ==, collapsed + 5);
    g_assert_true (tl_layer_table_expand (table, block, FALSE));
    g_assert_cmpuint (tl_layer_table_get_n_shown_rows (table), ==, collapsed);
  }
  /* the card says where the network came from, what it reads and what it knew */
  {
    TlPretrainedCard *card = TL_PRETRAINED_CARD (tl_transfer_page_get_pretrained_card (
      TL_TRANSFER_PAGE (tl_window_get_page (win, "transfer"))));

    g_assert_true (gtk_widget_get_visible (GTK_WIDGET (card)));
    g_assert_cmpstr (tl_pretrained_card_get_text (card, 0), ==, "Imported from network.onnx (ONNX opset 17)");
    g_assert_cmpstr (tl_pretrained_card_get_text (card, 1), ==,
                     "1 × 28 × 28, normalised by mean 0.29 and standard deviation 0.35");
    g_assert_cmpstr (tl_pretrained_card_get_text (card, 2), ==, "10 classes: 0, 1, 2, 3, 4, 5, …");
  }
  ui_screenshot (GTK_WIDGET (win), "imported-network-transfer.png");

  train = TL_TRAIN_PAGE (tl_window_get_page (win, "train"));
  tl_window_show_step (win, "train");
  tl_train_page_start (train);
  g_assert_true (ui_wait_for (ui_training_done, train, 600));
  if (tl_window_get_error (win) != NULL)
    g_error ("the run failed: %s", tl_window_get_error (win));
  ui_spin (300);
  ui_screenshot (GTK_WIDGET (win), "imported-network-trained.png");

  /* no pretraining: the file is the pretrained model; the fine-tuning ran over cached features */
  g_assert_null (tl_document_get_run (doc, "pretrain"));
  run = tl_document_get_run (doc, "transfer");
  g_assert_nonnull (run);
  g_assert_nonnull (run->metrics);
  g_test_message ("fine-tuned: accuracy %.3f on %d test images, %d cached layers", run->metrics->accuracy,
                  run->metrics->n_samples, run->cached_layers);
  g_assert_cmpint (run->metrics->n_samples, ==, 300);
  g_assert_cmpint (run->cached_layers, ==, FROZEN);
  g_assert_cmpfloat (run->metrics->accuracy, >, 0.4);   /* five classes: chance is 0.2 */
  g_assert_cmpint (tl_model_n_outputs (run->model), ==, 5);

  /* the stem is the file's, to the bit; the block above it learned */
  reread = tl_model_file_load (model_path, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < FROZEN; i++)
    assert_same_layer (run->model, reread, i, TRUE);
  assert_same_layer (run->model, reread, FROZEN, FALSE);
  assert_same_layer (run->model, reread, FROZEN + 2, FALSE);

  tl_document_set_modified (doc, FALSE);
  gtk_window_destroy (GTK_WINDOW (win));
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
  g_test_add_func ("/ui/imported-network/fine-tune", test_fine_tune_imported);
  return g_test_run ();
}
