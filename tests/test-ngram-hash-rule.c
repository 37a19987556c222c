/* Hashing and character n-grams: one rule, read the same from the command
 * line, an experiment file and import settings. */
#include "config.h"

#include <string.h>

#include "test-util.h"
#include "tl-error.h"
#include "tl-experiment.h"
#include "tl-import.h"
#include "tl-ngram.h"

/* The refusal of hashing together with character n-grams, as the rule words it. */
static char *
refusal_text (void)
{
  TlNgramSettings s;
  g_autoptr (GError) error = NULL;

  tl_ngram_settings_init (&s);
  s.hash_size = 1024;
  g_assert_false (tl_ngram_settings_resolve (&s, TRUE, &error));
  g_assert_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT);
  return g_strdup (error->message);
}

static void
test_rule (void)
{
  TlNgramSettings s;
  g_autoptr (GError) error = NULL;
  g_autofree char *refusal = refusal_text ();

  /* hashing, characters not asked for: turned off */
  tl_ngram_settings_init (&s);
  s.hash_size = 1024;
  g_assert_cmpint (s.char_max, >, 0);
  g_assert_true (tl_ngram_settings_resolve (&s, FALSE, &error));
  g_assert_no_error (error);
  g_assert_cmpint (s.char_max, ==, 0);
  g_assert_cmpint (s.hash_size, ==, 1024);

  /* asked for as none: fine with hashing */
  tl_ngram_settings_init (&s);
  s.hash_size = 1024;
  s.char_max = 0;
  g_assert_true (tl_ngram_settings_resolve (&s, TRUE, &error));
  g_assert_cmpint (s.char_max, ==, 0);

  /* no hashing: the characters stay, asked for or not */
  for (int asked = 0; asked <= 1; asked++)
    {
      tl_ngram_settings_init (&s);
      s.char_min = 3;
      s.char_max = 4;
      g_assert_true (tl_ngram_settings_resolve (&s, asked, &error));
      g_assert_cmpint (s.char_min, ==, 3);
      g_assert_cmpint (s.char_max, ==, 4);
    }

  /* both asked for: refused, naming both and what to do */
  g_assert_nonnull (strstr (refusal, "hash_size"));
  g_assert_nonnull (strstr (refusal, "char_max 0"));
  g_assert_nonnull (strstr (refusal, "vocabulary"));
  /* the plain check refuses the pair in the same words */
  tl_ngram_settings_init (&s);
  s.hash_size = 1024;
  g_assert_false (tl_ngram_settings_check (&s, &error));
  g_assert_cmpstr (error->message, ==, refusal);
  g_clear_error (&error);

  /* the rest is still checked */
  tl_ngram_settings_init (&s);
  s.hash_size = 1024;
  s.min_df = 0;
  g_assert_false (tl_ngram_settings_resolve (&s, FALSE, &error));
  g_assert_nonnull (strstr (error->message, "min_df"));
}

static void
test_import_settings (void)
{
  g_autofree char *refusal = refusal_text ();
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (JsonNode) node = json_from_string ("{\"text_features\": \"ngrams\", \"ngram_hash_size\": 1024}", NULL);
    g_autoptr (TlImportSettings) s = tl_import_settings_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_cmpint (s->ngrams.hash_size, ==, 1024);
    g_assert_cmpint (s->ngrams.char_max, ==, 0);
  }
  {
    g_autoptr (JsonNode) node = json_from_string ("{\"text_features\": \"ngrams\"}", NULL);
    g_autoptr (TlImportSettings) s = tl_import_settings_from_json (node, &error);

    g_assert_no_error (error);
    g_assert_cmpint (s->ngrams.char_max, >, 0);
  }
  {
    g_autoptr (JsonNode) node = json_from_string ("{\"text_features\": \"ngrams\", \"ngram_hash_size\": 1024,"
                                                  " \"ngram_char_max\": 4}", NULL);
    g_autoptr (TlImportSettings) s = tl_import_settings_from_json (node, &error);

    g_assert_null (s);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, refusal));
  }
}

static TlExperiment *
load_experiment (const char *dir, const char *ngrams, GError **error)
{
  g_autofree char *path = g_build_filename (dir, "hashed.json", NULL);
  g_autofree char *text = g_strdup_printf ("{ \"source\": { \"path\": \"a.csv\", \"ngrams\": %s },"
                                           " \"target\": { \"path\": \"b.csv\" } }", ngrams);

  tl_test_write_text (path, text);
  return tl_experiment_load (path, error);
}

static void
test_experiment (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tl-hash-rule-XXXXXX", NULL);
  g_autofree char *refusal = refusal_text ();
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (TlExperiment) exp = load_experiment (dir, "{ \"hash_size\": 1024 }", &error);

    g_assert_no_error (error);
    g_assert_cmpint (exp->source.ngrams.hash_size, ==, 1024);
    g_assert_cmpint (exp->source.ngrams.char_max, ==, 0);
  }
  {
    g_autoptr (TlExperiment) exp = load_experiment (dir, "{ \"hash_size\": 1024, \"char_max\": 0 }", &error);

    g_assert_no_error (error);
    g_assert_cmpint (exp->source.ngrams.char_max, ==, 0);
  }
  {
    g_autoptr (TlExperiment) exp = load_experiment (dir, "{ \"char_min\": 3, \"char_max\": 4 }", &error);

    g_assert_no_error (error);
    g_assert_cmpint (exp->source.ngrams.char_max, ==, 4);
  }
  {
    g_autoptr (TlExperiment) exp = load_experiment (dir, "{ \"hash_size\": 1024, \"char_max\": 4 }", &error);

    g_assert_null (exp);
    g_assert_nonnull (error);
    g_assert_nonnull (strstr (error->message, "hashed.json"));
    g_assert_nonnull (strstr (error->message, "source.ngrams"));
    g_assert_nonnull (strstr (error->message, refusal));
  }
  tl_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ngram-hash-rule/rule", test_rule);
  g_test_add_func ("/ngram-hash-rule/import-settings", test_import_settings);
  g_test_add_func ("/ngram-hash-rule/experiment", test_experiment);
  return g_test_run ();
}
