#include "config.h"

#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "tl-error.h"
#include "tl-experiment-check.h"
#include "tl-experiment.h"

/* transfer.privacy in experiment files: read, written back, checked. */

static TlExperiment *
from_text (const char *privacy, const char *extra_transfer, const char *preset, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *text = g_strdup_printf (
    "{ \"name\": \"p\", \"source\": { \"format\": \"csv\", \"path\": \"s.csv\" },"
    "  \"target\": { \"format\": \"csv\", \"path\": \"t.csv\" },"
    "  \"architecture\": { \"preset\": \"%s\" },"
    "  \"transfer\": { \"freeze\": { \"below\": %d }%s%s%s }, \"baseline\": false }",
    preset, g_str_equal (preset, "cnn") ? 0 : 2, privacy ? ", \"privacy\": " : "", privacy ? privacy : "",
    extra_transfer);

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  return tl_experiment_from_json (json_parser_get_root (parser), "p.json", "/data", error);
}

static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3, \"delta\": 1e-5, \"clip\": 0.5 }", "", "mlp", &error);
  g_autoptr (TlExperiment) back = NULL;
  g_autoptr (TlExperiment) plain = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  g_assert_no_error (error);
  g_assert_true (exp->transfer.finetune.private);
  g_assert_false (exp->pretrain.private);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.epsilon, ==, 3.0);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.delta, ==, 1e-5);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.clip, ==, 0.5);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.sigma, ==, 0.0);

  node = tl_experiment_to_json (exp);
  back = tl_experiment_from_json (node, "p.json", "/data", &error);
  g_assert_no_error (error);
  g_assert_true (back->transfer.finetune.private);
  g_assert_cmpmem (&back->transfer.finetune.privacy, sizeof (TlPrivacyConfig), &exp->transfer.finetune.privacy,
                   sizeof (TlPrivacyConfig));
  /* the comparison without privacy: on unless the file turns it off, and written back either way */
  g_assert_true (exp->transfer.finetune.private_reference);
  g_assert_true (back->transfer.finetune.private_reference);
  {
    g_autoptr (TlExperiment) off = from_text ("{ \"epsilon\": 3, \"non_private_reference\": false }", "", "mlp",
                                              &error);
    g_autoptr (JsonNode) off_node = NULL;
    g_autoptr (TlExperiment) off_back = NULL;

    g_assert_no_error (error);
    g_assert_false (off->transfer.finetune.private_reference);
    off_node = tl_experiment_to_json (off);
    off_back = tl_experiment_from_json (off_node, "p.json", "/data", &error);
    g_assert_no_error (error);
    g_assert_false (off_back->transfer.finetune.private_reference);
  }

  /* sigma alone; delta and clip take their defaults */
  g_clear_pointer (&exp, tl_experiment_free);
  exp = from_text ("{ \"sigma\": 1.2 }", "", "mlp", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.sigma, ==, 1.2);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.delta, ==, 1e-5);
  g_assert_cmpfloat (exp->transfer.finetune.privacy.clip, ==, 1.0);

  /* an experiment without privacy writes none */
  plain = from_text (NULL, "", "mlp", &error);
  g_assert_no_error (error);
  g_assert_false (plain->transfer.finetune.private);
  text = tl_experiment_to_string (plain);
  g_assert_null (strstr (text, "privacy"));
}

static void
test_refused_at_load (void)
{
  static const struct { const char *privacy, *field; } bad[] = {
    { "{ \"epsilon\": 0 }", "transfer.privacy.epsilon" },
    { "{ \"epsilon\": -1 }", "transfer.privacy.epsilon" },
    { "{ \"epsilon\": 3, \"clip\": 0 }", "transfer.privacy.clip" },
    { "{ \"epsilon\": 3, \"delta\": 1 }", "transfer.privacy.delta" },
    { "{ \"epsilon\": 3, \"delta\": 0 }", "transfer.privacy.delta" },
    { "{ \"delta\": 1e-5 }", "transfer.privacy.epsilon" },
    { "{ \"sigma\": 0 }", "transfer.privacy.sigma" },
    { "{ \"epsilon\": 3, \"non_private_reference\": 1 }", "transfer.privacy.non_private_reference" },
    { "{ \"epsilon\": 3, \"budget\": 1 }", "budget" },
    { "3", "transfer.privacy" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (TlExperiment) exp = from_text (bad[i].privacy, "", "mlp", &error);

      g_assert_null (exp);
      g_assert_nonnull (error);
      if (strstr (error->message, bad[i].field) == NULL || !g_str_has_prefix (error->message, "p.json"))
        g_error ("%s: expected an error naming %s, got: %s", bad[i].privacy, bad[i].field, error->message);
    }
}

static gboolean
has_problem (GPtrArray *problems, const char *field, const char *words)
{
  for (guint i = 0; i < problems->len; i++)
    {
      const TlExperimentProblem *p = g_ptr_array_index (problems, i);
      if (g_str_equal (p->field, field) && strstr (p->message, words) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
test_checked (void)
{
  TlDataSummary data = { .kind = TL_DATA_TABULAR, .sample_ndim = 1, .sample_shape = { 4 }, .n_classes = 2,
                         .n_train = 200, .n_test = 20 };
  TlDataSummary images = { .kind = TL_DATA_IMAGE, .sample_ndim = 3, .sample_shape = { 1, 12, 12 }, .n_classes = 2,
                           .n_train = 200, .n_test = 20 };
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3, \"delta\": 1e-5 }", "", "mlp", &error);
    g_autoptr (GPtrArray) problems = tl_experiment_check (exp, &data, &data);
    /* the files themselves are not there: only those two problems */
    for (guint i = 0; i < problems->len; i++)
      {
        const TlExperimentProblem *p = g_ptr_array_index (problems, i);
        if (!g_str_equal (p->field, "source.path") && !g_str_equal (p->field, "target.path"))
          g_error ("unexpected problem %s: %s", p->field, p->message);
      }
  }
  {
    /* delta of at least 1/200 */
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3, \"delta\": 0.01 }", "", "mlp", &error);
    g_autoptr (GPtrArray) problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.privacy.delta", "1/200"));
  }
  {
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", ", \"unfreeze_every\": 2", "mlp", &error);
    g_autoptr (GPtrArray) problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.unfreeze_every", ""));
  }
  {
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", ", \"strategy\": [\"fine-tune\", \"self-training\"]",
                                              "mlp", &error);
    g_autoptr (GPtrArray) problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.strategy", "self-training"));
  }
  {
    /* nothing frozen in a CNN: its convolutions train privately, and so does its baseline */
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", "", "cnn", &error);
    g_autoptr (GPtrArray) problems = NULL;
    g_assert_no_error (error);
    exp->baseline = TRUE;
    problems = tl_experiment_check (exp, &images, &images);
    g_assert_false (has_problem (problems, "transfer.freeze.below", ""));
    g_assert_false (has_problem (problems, "baseline", ""));
  }
  {
    /* an LSTM has no per-example gradients here: refused, by layer */
    TlDataSummary text = { .kind = TL_DATA_TEXT, .sample_ndim = 1, .sample_shape = { 20 }, .n_classes = 2,
                           .vocab_size = 50, .n_train = 200, .n_test = 20 };
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", "", "text-lstm", &error);
    g_autoptr (GPtrArray) problems = NULL;
    g_assert_no_error (error);
    exp->transfer.freeze_below = 0;
    exp->baseline = TRUE;
    problems = tl_experiment_check (exp, &text, &text);
    g_assert_true (has_problem (problems, "transfer.freeze.below", "lstm"));
    g_assert_true (has_problem (problems, "baseline", "lstm"));
  }
  {
    /* tail averaging excludes early stopping, and with gradual unfreezing stays within the last phase */
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", "", "mlp", &error);
    g_autoptr (GPtrArray) problems = NULL;
    g_assert_no_error (error);
    exp->transfer.finetune.private = FALSE;
    exp->transfer.finetune.average_epochs = 4;
    exp->transfer.finetune.patience = 2;
    problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.average_epochs", "patience"));
    g_ptr_array_unref (problems);
    exp->transfer.finetune.patience = 0;
    exp->transfer.finetune.epochs = 10;
    exp->transfer.unfreeze_every = 3;   /* phases of 3, 3, 3 and 1 epochs */
    problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.average_epochs", "at most 1"));
    g_ptr_array_unref (problems);
    exp->transfer.unfreeze_every = 5;
    problems = tl_experiment_check (exp, &data, &data);
    g_assert_false (has_problem (problems, "transfer.average_epochs", ""));
  }
  {
    /* text: the vocabulary may not be counted over the private target's words */
    g_autoptr (TlExperiment) exp = from_text ("{ \"epsilon\": 3 }", "", "mlp", &error);
    g_autoptr (GPtrArray) problems = NULL;
    g_assert_no_error (error);
    exp->source.format = exp->target.format = TL_DATA_FORMAT_CSV;
    exp->source.text_column = g_strdup ("text");
    exp->target.text_column = g_strdup ("text");
    g_assert_true (exp->transfer.unlabeled_text);
    problems = tl_experiment_check (exp, &data, &data);
    g_assert_true (has_problem (problems, "transfer.unlabeled_text", "privacy"));
    g_ptr_array_unref (problems);
    exp->transfer.unlabeled_text = FALSE;
    problems = tl_experiment_check (exp, &data, &data);
    g_assert_false (has_problem (problems, "transfer.unlabeled_text", ""));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/experiment-privacy/round-trip", test_round_trip);
  g_test_add_func ("/experiment-privacy/refused-at-load", test_refused_at_load);
  g_test_add_func ("/experiment-privacy/checked", test_checked);
  return g_test_run ();
}
