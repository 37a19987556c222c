#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "test-util.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-pipeline.h"
#include "tl-pipeline-private.h"
#include "tl-run-history.h"

/* Run history and reused stages, through the core API the window uses. */

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("tl-history-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
write_blobs (const char *path, const char *const *classes, int per_class, guint32 seed)
{
  g_autoptr (GString) s = g_string_new ("x0,x1,x2,label\n");
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  int k = g_strv_length ((char **) classes);

  for (int i = 0; i < per_class * k; i++)
    {
      int c = i % k;
      for (int f = 0; f < 3; f++)
        g_string_append_printf (s, "%d.%03d,", (f == c % 3) * 3 + g_rand_int_range (rand, 0, 2),
                                g_rand_int_range (rand, 0, 1000));
      g_string_append_printf (s, "%s\n", classes[c]);
    }
  tl_test_write_text (path, s->str);
}

static TlExperiment *
small_experiment (const char *dir)
{
  const char *src[] = { "a", "b", "c", NULL };
  const char *tgt[] = { "d", "e", NULL };
  g_autofree char *s = g_build_filename (dir, "s.csv", NULL);
  g_autofree char *t = g_build_filename (dir, "t.csv", NULL);
  TlExperiment *exp = tl_experiment_new ();

  write_blobs (s, src, 50, 1);
  write_blobs (t, tgt, 30, 2);
  g_free (exp->base_dir);
  exp->base_dir = g_strdup (dir);
  g_free (exp->name);
  exp->name = g_strdup ("hist");
  exp->source.path = g_strdup ("s.csv");
  exp->target.path = g_strdup ("t.csv");
  exp->target.per_class = 8;
  exp->target.val_fraction = 0.25;
  exp->target.test_fraction = 0.3;
  exp->pretrain.epochs = 2;
  exp->transfer.finetune.epochs = 2;
  exp->transfer.freeze_mode = TL_FREEZE_BELOW;
  exp->transfer.freeze_below = 2;
  exp->baseline = TRUE;
  exp->outputs.exports = TL_EXPORT_MODELS | TL_EXPORT_HISTORY | TL_EXPORT_METRICS;
  return exp;
}

static void
test_new_folders_are_dated_and_distinct (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *root = g_build_filename (dir, "results", "x", NULL);
  g_autoptr (GDateTime) when = g_date_time_new_local (2026, 12, 5, 20, 40, 12);
  g_autoptr (GError) error = NULL;
  g_autofree char *a = tl_run_history_new_folder (root, when, &error);
  g_autofree char *b = tl_run_history_new_folder (root, when, &error);
  g_autofree char *base_a = g_path_get_basename (a);
  g_autofree char *base_b = g_path_get_basename (b);

  g_assert_no_error (error);
  g_assert_cmpstr (base_a, ==, "2026-12-05T20-40-12");
  g_assert_cmpstr (base_b, ==, "2026-12-05T20-40-12-2");
  g_assert_true (g_file_test (b, G_FILE_TEST_IS_DIR));
  tl_test_remove_tree (dir);
}

/* Each stage's key holds what its model depends on, and nothing else. */
static void
test_stage_hashes_follow_their_inputs (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlExperiment) other = tl_experiment_copy (exp);
  g_autofree char *pre = tl_pipeline_stage_hash (exp, "pretrain", NULL);
  g_autofree char *tr = tl_pipeline_stage_hash (exp, "transfer", pre);
  g_autofree char *base = tl_pipeline_stage_hash (exp, "baseline", NULL);
  g_autofree char *key = tl_pipeline_stage_key (exp, "pretrain", NULL);
  g_autofree char *csv = g_build_filename (dir, "s.csv", NULL);

  g_assert_cmpuint (strlen (pre), ==, 64);
  g_assert_nonnull (strstr (key, csv));        /* the data file by its absolute path, size and time */
  g_assert_nonnull (strstr (key, "\"size\""));

  /* a fine-tuning setting: pretraining unchanged, the transfer and the baseline not */
  other->transfer.finetune.epochs = 5;
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (other, "pretrain", NULL);
    g_autofree char *tr2 = tl_pipeline_stage_hash (other, "transfer", pre2);
    g_autofree char *base2 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_assert_cmpstr (pre2, ==, pre);
    g_assert_cmpstr (tr2, !=, tr);
    g_assert_cmpstr (base2, !=, base);
  }
  /* the freeze plan: only the transfer */
  other->transfer.finetune.epochs = exp->transfer.finetune.epochs;
  other->transfer.freeze_below = 1;
  {
    g_autofree char *tr2 = tl_pipeline_stage_hash (other, "transfer", pre);
    g_autofree char *base2 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_assert_cmpstr (tr2, !=, tr);
    g_assert_cmpstr (base2, ==, base);
  }
  /* the seed and the pretraining settings */
  other->transfer.freeze_below = exp->transfer.freeze_below;
  other->seed = 99;
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (other, "pretrain", NULL);
    g_assert_cmpstr (pre2, !=, pre);
  }
  other->seed = exp->seed;
  /* privacy: the baseline and the transfer are other models, their plain reference is not;
   * whether that reference runs changes none of them */
  other->transfer.finetune.private = TRUE;
  other->transfer.finetune.privacy = (TlPrivacyConfig) { .epsilon = 3.0, .delta = 1e-5, .clip = 1.0 };
  {
    g_autofree char *tr2 = tl_pipeline_stage_hash (other, "transfer", pre);
    g_autofree char *base2 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_autofree char *plain = tl_pipeline_stage_hash (exp, TL_RUN_NON_PRIVATE, pre);
    g_autofree char *plain2 = tl_pipeline_stage_hash (other, TL_RUN_NON_PRIVATE, pre);
    g_autofree char *tr3 = NULL, *base3 = NULL;

    g_assert_cmpstr (tr2, !=, tr);
    g_assert_cmpstr (base2, !=, base);
    g_assert_cmpstr (plain2, ==, plain);
    other->transfer.finetune.private_reference = !other->transfer.finetune.private_reference;
    tr3 = tl_pipeline_stage_hash (other, "transfer", pre);
    base3 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_assert_cmpstr (tr3, ==, tr2);
    g_assert_cmpstr (base3, ==, base2);
  }
  other->transfer.finetune = exp->transfer.finetune;
  /* tail averaging: the transfer and the baseline (which takes the transfer's budget), not pretraining;
   * off, it leaves the keys of runs made before the setting existed as they were */
  g_assert_null (strstr (key, "average_epochs"));
  other->transfer.finetune.average_epochs = 2;
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (other, "pretrain", NULL);
    g_autofree char *tr2 = tl_pipeline_stage_hash (other, "transfer", pre);
    g_autofree char *base2 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_assert_cmpstr (pre2, ==, pre);
    g_assert_cmpstr (tr2, !=, tr);
    g_assert_cmpstr (base2, !=, base);
  }
  other->transfer.finetune = exp->transfer.finetune;
  other->pretrain.epochs = 9;
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (other, "pretrain", NULL);
    g_autofree char *base2 = tl_pipeline_stage_hash (other, "baseline", NULL);
    g_assert_cmpstr (pre2, !=, pre);
    g_assert_cmpstr (base2, ==, base);
  }
  /* the description and the results folder change nothing */
  other->pretrain.epochs = exp->pretrain.epochs;
  other->description = g_strdup ("notes");
  other->outputs.folder = g_strdup ("elsewhere");
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (other, "pretrain", NULL);
    g_assert_cmpstr (pre2, ==, pre);
  }
  /* the source file's content: a different size */
  write_blobs (csv, (const char *const[]) { "a", "b", "c", NULL }, 51, 1);
  {
    g_autofree char *pre2 = tl_pipeline_stage_hash (exp, "pretrain", NULL);
    g_assert_cmpstr (pre2, !=, pre);
  }
  tl_test_remove_tree (dir);
}

static void
test_settings_as_dotted_keys (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (GHashTable) settings = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (tl_experiment_set_override (exp, "architecture.preset", "cnn", NULL, &error));
  g_assert_no_error (error);
  settings = tl_run_experiment_settings (exp);
  g_assert_cmpstr (g_hash_table_lookup (settings, "transfer.epochs"), ==, "2");
  g_assert_cmpstr (g_hash_table_lookup (settings, "transfer.freeze.below"), ==, "2");
  g_assert_cmpstr (g_hash_table_lookup (settings, "architecture.preset"), ==, "\"cnn\"");
  g_assert_cmpstr (g_hash_table_lookup (settings, "transfer.strategy"), ==, "[\"fine-tune\"]");
  g_assert_false (g_hash_table_contains (settings, "description"));
  tl_test_remove_tree (dir);
}

static gboolean
any_reused (const TlPipelineResult *result)
{
  for (guint i = 0; i < result->runs->len; i++)
    if (((TlRunResult *) g_ptr_array_index (result->runs, i))->reused_from != NULL)
      return TRUE;
  return FALSE;
}

/* Two runs into the history: the second reuses pretraining; the history lists
 * both with what changed; the comparison has the setting, metrics and
 * confusion differences; retrain trains everything. */
static void
test_history_and_reuse_through_the_pipeline (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlPipelineResult) first = NULL, second = NULL, third = NULL;
  g_autoptr (TlRunHistory) history = NULL;
  g_autoptr (TlRunComparison) cmp = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_build_filename (dir, "results", "hist", NULL);
  TlPipelineOptions options;
  TlRunResult *pre, *transfer;

  tl_pipeline_options_init (&options);
  g_assert_true (tl_pipeline_run_with_options (exp, &options, NULL, NULL, &first, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (first->history_root, ==, root);
  g_assert_true (g_str_has_prefix (first->output_folder, root));
  g_assert_false (any_reused (first));

  exp->transfer.finetune.epochs = 3;
  g_assert_true (tl_pipeline_run_with_options (exp, &options, NULL, NULL, &second, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (second->output_folder, !=, first->output_folder);
  pre = tl_pipeline_result_find (second, "pretrain");
  transfer = tl_pipeline_result_find (second, "transfer");
  g_assert_cmpstr (pre->reused_from, ==, first->output_folder);
  g_assert_cmpstr (pre->inputs_hash, ==, tl_pipeline_result_find (first, "pretrain")->inputs_hash);
  g_assert_null (transfer->reused_from);
  g_assert_cmpint (transfer->epochs, ==, 3);
  /* the reused model is the one trained: same accuracy on the same test rows */
  g_assert_cmpfloat (pre->metrics->accuracy, ==, tl_pipeline_result_find (first, "pretrain")->metrics->accuracy);

  history = tl_run_history_load (root, &error);
  g_assert_no_error (error);
  g_assert_null (history->index_warning);
  g_assert_cmpuint (history->records->len, ==, 2);
  {
    TlRunRecord *a = g_ptr_array_index (history->records, 0);
    TlRunRecord *b = g_ptr_array_index (history->records, 1);

    g_assert_cmpstr (a->folder, ==, first->output_folder);
    g_assert_cmpint (a->status, ==, TL_RUN_FINISHED);
    g_assert_null (a->changes);
    g_assert_cmpstr (b->changes[0], ==, "transfer.epochs");
    g_assert_null (b->changes[1]);
    g_assert_cmpstr (tl_run_record_reused_from (b, "pretrain"), ==, first->output_folder);
    g_assert_cmpfloat (fabs (tl_run_record_accuracy (b, "transfer") - transfer->metrics->accuracy), <, 1e-9);
    g_assert_true (tl_run_history_latest (history) == b);
    {
      g_autoptr (TlHistory) curves = tl_run_record_load_history (b, "transfer", &error);
      g_assert_no_error (error);
      g_assert_cmpuint (curves->epochs->len, ==, 3);
    }

    cmp = tl_run_compare (a, b, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (cmp->settings->len, ==, 1);
    g_assert_cmpstr (((TlSettingChange *) g_ptr_array_index (cmp->settings, 0))->key, ==, "transfer.epochs");
    g_assert_cmpstr (((TlSettingChange *) g_ptr_array_index (cmp->settings, 0))->a, ==, "2");
    g_assert_cmpstr (((TlSettingChange *) g_ptr_array_index (cmp->settings, 0))->b, ==, "3");
    g_assert_cmpuint (cmp->runs->len, ==, 3);     /* pretrain, transfer, baseline */
    g_assert_cmpuint (cmp->confusion->len, ==, 3);
    for (guint i = 0; i < cmp->confusion->len; i++)
      {
        TlConfusionDiff *d = g_ptr_array_index (cmp->confusion, i);
        for (int c = 0; c < d->n_classes * d->n_classes; c++)
          g_assert_cmpint (d->diff[c], ==, d->b[c] - d->a[c]);
        if (strcmp (d->run, "pretrain") == 0)
          for (int c = 0; c < d->n_classes * d->n_classes; c++)
            g_assert_cmpint (d->diff[c], ==, 0);
      }
  }

  options.retrain = TRUE;
  g_assert_true (tl_pipeline_run_with_options (exp, &options, NULL, NULL, &third, &error));
  g_assert_no_error (error);
  g_assert_false (any_reused (third));
  /* nothing to continue: the newest run finished */
  g_assert_false (tl_pipeline_can_resume (exp, NULL, &error));
  g_assert_no_error (error);
  tl_test_remove_tree (dir);
}

static void
test_broken_index_is_tolerated (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autoptr (TlExperiment) exp = small_experiment (dir);
  g_autoptr (TlPipelineResult) result = NULL;
  g_autoptr (TlRunHistory) history = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *root = g_build_filename (dir, "results", "hist", NULL);
  g_autofree char *index = g_build_filename (root, "runs.json", NULL);
  g_autofree char *stray = g_build_filename (root, "notes", NULL);

  exp->baseline = FALSE;
  g_assert_true (tl_pipeline_run (exp, NULL, NULL, NULL, &result, &error));
  g_assert_no_error (error);
  tl_test_write_text (index, "[1, 2");
  g_assert_cmpint (g_mkdir (stray, 0755), ==, 0);   /* a folder without experiment.json is no run */
  history = tl_run_history_load (root, &error);
  g_assert_no_error (error);
  g_assert_nonnull (history->index_warning);
  g_assert_nonnull (strstr (history->index_warning, "runs.json"));
  g_assert_cmpuint (history->records->len, ==, 1);
  g_assert_true (tl_run_history_write_index (history, &error));
  g_assert_no_error (error);
  g_clear_pointer (&history, tl_run_history_free);
  history = tl_run_history_load (root, &error);
  g_assert_null (history->index_warning);
  tl_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/run-history/new-folders", test_new_folders_are_dated_and_distinct);
  g_test_add_func ("/run-history/stage-hashes", test_stage_hashes_follow_their_inputs);
  g_test_add_func ("/run-history/settings", test_settings_as_dotted_keys);
  g_test_add_func ("/run-history/reuse-and-compare", test_history_and_reuse_through_the_pipeline);
  g_test_add_func ("/run-history/broken-index", test_broken_index_is_tolerated);
  return g_test_run ();
}
