#pragma once

#include <glib.h>

#include "tl-experiment.h"
#include "tl-import.h"
#include "tl-model-file.h"

G_BEGIN_DECLS

/* The options that describe a data source, shared by train, evaluate and predict. */
typedef struct {
  char    *format;
  char    *labels;
  char    *label_column;
  char    *text_column;
  char    *features;
  char    *classes;
  int      per_class;
  double   val_fraction;
  double   test_fraction;
  char    *test_path;
  char    *test_labels;
  int      max_len;
  int      vocab_size;
  int      ngram_max;
  int      min_df;
  int      max_features;
  int      hash_size;
  char    *char_ngrams;
  int      char_max_features;
  int      image_size;
  gboolean grey;
} TlDataOptions;

void          tl_data_options_init    (TlDataOptions *o);
void          tl_data_options_clear   (TlDataOptions *o);
/* Option entries writing into o; `full` adds the split and sampling options. */
GOptionGroup *tl_data_options_group   (TlDataOptions *o, gboolean full);
/* Fills spec for the data file `path`; FALSE with a usage message on a bad value. */
gboolean      tl_data_options_to_spec (const TlDataOptions *o, const char *path, TlDataSourceSpec *spec,
                                       GError **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (TlDataOptions, tl_data_options_clear)

/* The option context of one sub-command: its parameter string, a summary
 * (NULL for none), its own entries and, unless NULL, a data options group. */
GOptionContext *tl_cli_context_new    (const char *parameter_string, const char *summary,
                                       const GOptionEntry *entries, GOptionGroup *data_group);

/* Runs a GOptionContext and checks that *files (the G_OPTION_REMAINING array it
 * fills) holds n_files names, printing a usage error as one line otherwise:
 * FALSE means exit 2. */
gboolean      tl_cli_parse            (GOptionContext *context, int *argc, char ***argv,
                                       GStrv *files, guint n_files, const char *wrong_count);

/* Import settings for reading new data through a model's preprocessing. */
TlImportSettings *tl_data_options_apply_settings (const TlDataOptions *o);

char        **tl_cli_split_list       (const char *text);

/* Loads a model file and reads `data_path` through its preprocessing. */
gboolean      tl_cli_load_model_and_data (const char *model_path, const char *data_path,
                                          const TlDataOptions *o, TlModel **model, TlModelInfo **info,
                                          TlDataset **data, GError **error);

G_END_DECLS
