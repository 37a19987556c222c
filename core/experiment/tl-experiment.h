#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tl-audio-augment.h"
#include "tl-audio-features.h"
#include "tl-dp-sgd.h"
#include "tl-layer-registry.h"
#include "tl-optimizer.h"
#include "tl-json-pretty.h"
#include "tl-ngram.h"

G_BEGIN_DECLS

/* Everything needed to reproduce a run, as stored in an experiment file
 * (docs/experiment-format.md). Strings are owned (g_free); a NULL string
 * means "not given". Paths are kept as written in the file; resolve them with
 * tl_experiment_resolve_path(). */

typedef enum {
  TL_DATA_FORMAT_CSV,
  TL_DATA_FORMAT_IDX,
  TL_DATA_FORMAT_IMAGES,
  TL_DATA_FORMAT_AUDIO,        /* a folder of recordings per class, or a CSV of paths and labels */
} TlDataFormat;

typedef struct {
  TlDataFormat format;
  char     *path;              /* CSV file, IDX images file, or image folder */
  char     *labels_path;       /* IDX labels file */
  char     *test_path;         /* separate test data (same format); the test split then comes from it */
  char     *test_labels_path;  /* IDX labels of the test data */
  char     *label_column;      /* CSV; NULL = "label" */
  char     *text_column;       /* CSV text data; NULL for numeric features */
  char    **feature_columns;   /* CSV numeric features; NULL = every column but the label */
  char    **classes;           /* subset of class names, in this order; NULL = all */
  int       per_class;         /* labelled samples kept per class for train + validation; 0 = all */
  int       test_per_class;    /* test samples kept per class; 0 = all */
  double    val_fraction;      /* of the labelled samples */
  double    test_fraction;     /* of the whole data, when there is no separate test data */
  int       max_len;           /* text: tokens per sample */
  int       vocab_size;        /* text: words kept, padding and unknown included */
  TlNgramSettings ngrams;      /* text read as bags of n-grams (models that start with embedding_bag) */
  int       image_size;        /* images: side after resizing; 0 = as stored */
  gboolean  grey;              /* images: one channel instead of three */
  char     *unlabeled_path;    /* target: more rows of the same format whose labels are not used */
  char     *generate;          /* a program that writes `path` when it is missing (run with the folder as its argument) */
  gboolean  use_labels;        /* target: FALSE leaves every training row unlabelled (unsupervised adaptation) */
  TlAudioSettings audio;       /* audio: rate, clip length and spectrogram ("audio" in the file) */
  TlAudioAugment audio_augment; /* audio: augmented copies of the training recordings ("audio_augment") */
} TlDataSourceSpec;

/* What word vectors give the vocabulary words the file has no vector for; stored by name. */
typedef enum {
  TL_UNKNOWN_VECTORS_RANDOM,   /* drawn with the seed, as spread as the vectors found */
  TL_UNKNOWN_VECTORS_ZERO,
  TL_UNKNOWN_VECTORS_MEAN,     /* the mean of the vectors found */
} TlUnknownVectors;

typedef struct {
  char        *preset;         /* "mlp", "cnn", "text-lstm", "text-pool"; NULL when layers are given */
  int          n_layers;       /* explicit layer list, the last Dense being the head */
  TlLayerSpec *layers;
  char       **layer_names;    /* n_layers entries, each may be NULL */
  char        *embedding_vectors; /* word vectors the first embedding table starts from; NULL = random */
  TlUnknownVectors embedding_vectors_unknown;
} TlArchitectureSpec;

typedef struct {
  int               epochs;
  int               batch_size;
  TlOptimizerConfig optimizer;
  TlScheduleConfig  schedule;
  int               patience;  /* early stopping on validation loss; 0 = off */
  int               average_epochs;  /* ends on the mean weights of the last N epochs; 0 = off */
  float             label_smoothing;
  /* transfer.privacy: every run trained on target rows (the strategies and the
   * baseline) is differentially private (DP-SGD); never set for pretraining */
  gboolean          private;
  TlPrivacyConfig   privacy;
  /* with private: the first strategy trains once more without privacy, for
   * comparison ("non-private"); transfer.privacy.non_private_reference */
  gboolean          private_reference;
} TlTrainSpec;

typedef enum {
  TL_FREEZE_NONE,
  TL_FREEZE_BELOW,             /* layers [0, freeze_below) */
  TL_FREEZE_LAYERS,            /* the layers named (or numbered) in freeze_layers */
} TlFreezeMode;

/* How the pretrained model meets the target; stored by name, new ones go at the end. */
typedef enum {
  TL_STRATEGY_FINE_TUNE,          /* train the copy on the labelled target */
  TL_STRATEGY_JOINT,              /* train the copy on source and labelled target together */
  TL_STRATEGY_DOMAIN_ADVERSARIAL, /* joint, while a reversed domain classifier aligns the features (DANN) */
  TL_STRATEGY_SELF_TRAINING,      /* joint, then again with confident pseudo-labels of unlabelled target rows */
  TL_N_STRATEGIES
} TlStrategy;

/* "fine-tune", "joint", "domain-adversarial", "self-training"; NULL-terminated */
extern const char *const tl_strategy_names[];

typedef struct {
  TlFreezeMode freeze_mode;
  int          freeze_below;
  char       **freeze_layers;  /* layer names or decimal indices */
  int          n_lr_mults;
  char       **lr_mult_layers; /* n_lr_mults layer names or decimal indices */
  double      *lr_mults;       /* n_lr_mults */
  gboolean     rebuild_head;   /* a fresh head; otherwise kept when the target's classes are the source's */
  gboolean     feature_cache;  /* reuse outputs of frozen lower layers */
  int          unfreeze_every; /* gradual unfreezing: one more layer every N epochs, top down; 0 = off */
  TlTrainSpec  finetune;
  int          n_strategies;   /* run side by side, in this order; at least one */
  TlStrategy   strategies[TL_N_STRATEGIES];
  float        target_weight;  /* joint strategies: times each labelled target row counts; 0 = balance the source */
  float        adversarial_weight; /* of the domain loss */
  int          pseudo_labels;  /* self-training: confident unlabelled rows added per class and round */
  gboolean     unlabeled_text; /* text features counted over source and unlabelled target text */
} TlTransferSpec;

/* Files written into the output folder; new ones go at the end. */
typedef enum {
  TL_EXPORT_MODELS      = 1 << 0,   /* safetensors */
  TL_EXPORT_CONFUSION   = 1 << 1,   /* CSV and plots */
  TL_EXPORT_HISTORY     = 1 << 2,   /* CSV */
  TL_EXPORT_CURVES      = 1 << 3,   /* plots */
  TL_EXPORT_METRICS     = 1 << 4,   /* JSON */
  TL_EXPORT_PREDICTIONS = 1 << 5,   /* CSV */
  TL_EXPORT_ONNX        = 1 << 6,
  TL_EXPORT_ALL_DEFAULT = 0x3f,
} TlExportFlags;

typedef enum {
  TL_PLOT_PNG = 1 << 0,
  TL_PLOT_SVG = 1 << 1,
  TL_PLOT_PDF = 1 << 2,
} TlPlotFormats;

typedef struct {
  char     *folder;            /* results folder; NULL = "results/<name>" next to the file */
  guint     exports;           /* TlExportFlags */
  guint     plot_formats;      /* TlPlotFormats */
  char     *pretrain_folder;   /* sub-folders of the results folder, one per run */
  char     *transfer_folder;
  char     *baseline_folder;
} TlOutputSpec;

typedef struct {
  char               *name;
  char               *description;
  guint64             seed;
  TlDataSourceSpec    source;
  TlDataSourceSpec    target;
  TlArchitectureSpec  architecture;
  char               *pretrained_model;  /* a model file loaded instead of pretraining */
  TlTrainSpec         pretrain;
  TlTransferSpec      transfer;
  gboolean            baseline;          /* a from-scratch run on the target, same budget */
  int                 baseline_epochs;   /* its epochs when not the transfer's (0): a model from scratch may need more */
  TlOutputSpec        outputs;
  char               *last_results;      /* results folder of the last run, written back by the GUI */

  /* Not stored: where relative paths resolve (the file's folder, or the
   * current folder for a new experiment) and the file's name for messages. */
  char               *base_dir;
  char               *file_name;
} TlExperiment;

/* A new experiment with the defaults every absent field takes. */
TlExperiment *tl_experiment_new        (void);
void          tl_experiment_free       (TlExperiment *exp);
TlExperiment *tl_experiment_copy       (const TlExperiment *exp);

/* Reads and validates an experiment file. Errors start with the file's name and
 * the field's dotted path: "fashion-split.json: transfer.freeze.below: expected an integer". */
TlExperiment *tl_experiment_load       (const char *path, GError **error);
/* Writes atomically. Relative paths are rewritten to stay valid from the new folder. */
gboolean      tl_experiment_save       (TlExperiment *exp, const char *path, GError **error);

JsonNode     *tl_experiment_to_json    (const TlExperiment *exp);
/* name is used in error messages (may be NULL); base_dir resolves relative paths (NULL = current folder). */
TlExperiment *tl_experiment_from_json  (JsonNode *node, const char *name, const char *base_dir,
                                        GError **error);
char         *tl_experiment_to_string  (const TlExperiment *exp);

/* Overrides one field by its dotted path ("target.per_class", "architecture.layers.2.units").
 * The value is parsed as JSON when it parses, else taken as a string. A relative
 * path given for a path field resolves against cwd (NULL = the current folder). On
 * error the experiment is unchanged. */
gboolean      tl_experiment_set_override (TlExperiment *exp, const char *key, const char *value,
                                          const char *cwd, GError **error);
/* "KEY=VALUE" */
gboolean      tl_experiment_apply_override (TlExperiment *exp, const char *assignment,
                                            const char *cwd, GError **error);

/* An absolute path for a path field's value (NULL stays NULL). */
char         *tl_experiment_resolve_path (const TlExperiment *exp, const char *path);
/* The results folder: the one given, else outputs.folder, else results/<name>. */
char         *tl_experiment_output_folder (const TlExperiment *exp, const char *override);

/* Data whose `path` is missing and whose `generate` names the program that makes it. */
gboolean      tl_experiment_needs_generation (const TlExperiment *exp);
/* Told before a generator starts: role is "source" or "target", folder the path it writes. */
typedef void (*TlGenerateFunc) (const char *role, const char *folder, const char *generator, gpointer user_data);
/* Runs the generator of each data source whose path is missing, blocking (a
 * worker thread in a user interface): "python3 GENERATOR FOLDER" for a .py file,
 * else "GENERATOR FOLDER". It writes into a new folder next to the path, renamed
 * into place once it succeeds, so that a failed run leaves nothing half made.
 * Errors name the generator and carry its last words on stderr. */
gboolean      tl_experiment_generate_data (const TlExperiment *exp, TlGenerateFunc before, gpointer user_data,
                                           GError **error);

/* "csv", "idx", "images" as written in files. */
const char   *tl_data_format_name      (TlDataFormat format);

/* Checks that `relative` names a place inside `root`: not absolute, no "..",
 * and no symbolic link on the way that leads outside root. Returns the joined
 * path, or NULL with TL_ERROR_INVALID_ARGUMENT. */
char         *tl_output_path           (const char *root, const char *relative, GError **error);


/* The defaults: 10 epochs, batch 32, Adam at 1e-3, constant rate. */
void          tl_train_spec_init       (TlTrainSpec *spec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlExperiment, tl_experiment_free)

G_END_DECLS
