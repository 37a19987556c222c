#pragma once

#include <glib.h>

#include "tl-layer-registry.h"

G_BEGIN_DECLS

/* Width of the text-ngram preset's bag: the hidden layer over the n-grams. A
 * step costs by the table rows it touches times this width; on 20 Newsgroups 64
 * is as accurate as 128 (bench/text_recipe_notes.md) at half the cost. */
#define TL_PRESET_NGRAM_DIM 64

/* A model: layers applied in order to a batch. In a plain stack each layer
 * reads the previous one's output; in a graph model (a residual network) a
 * layer may read earlier outputs instead (TlLayer.inputs), and Add and Concat
 * join several of them. The layers are listed in topological order either way. It owns the
 * activation and gradient buffers of every layer, sized for the largest batch
 * seen, so a training loop allocates nothing after its first batch. */
typedef struct {
  GPtrArray *layers;                 /* TlLayer*, owned */
  int        in_ndim;                /* per-sample input shape */
  int        in_shape[TL_MAX_DIMS];
  TlRng      rng;                    /* dropout masks */

  /* workspace */
  GPtrArray *acts;                   /* TlTensor*: output of layer i; batch 0 for a Conv2D and a ReLU
                                      * whose outputs a fused 2x2 max-pool consumed (see TlContext) */
  GPtrArray *grads;                  /* TlTensor*: dL/d(output of layer i - 1), i.e. gradient into layer i */
  TlTensor  *mask;                   /* [batch, steps] when the first layer is an Embedding */
  gboolean   input_gradient;         /* a backward from layer `from` also writes dL/d(its input) into grads[from] */
  gboolean   unfused;                /* every layer runs its own passes and keeps its output and gradient
                                      * (private training reads them); the same results, slower */
  TlContext  ctx;

  /* graph models only (graph TRUE: some layer reads other than its predecessor) */
  gboolean   graph;
  GPtrArray *out_grads;              /* TlTensor*: dL/d(output of layer i), summed over its readers */
  TlTensor  *extra_grads[TL_LAYER_MAX_INPUTS - 1];
  TlTensor  *input_grad;             /* dL/d(input of a backward range), summed */
} TlModel;

TlModel  *tl_model_new            (int in_ndim, const int *in_shape, guint64 seed);
void      tl_model_free           (TlModel *model);
/* Appends a layer whose input is the previous layer's output. name may be NULL: "<kind><n>". */
gboolean  tl_model_add            (TlModel *model, const TlLayerSpec *spec, const char *name, GError **error);
/* Appends a layer of a graph model that reads the outputs of the earlier
 * layers `inputs` (-1: the model's input): one for most kinds, two or more
 * for Add (same shapes) and Concat (same shapes but the first dimension). */
gboolean  tl_model_add_joined     (TlModel *model, const TlLayerSpec *spec, const char *name,
                                   int n_inputs, const int *inputs, GError **error);
/* Index of the layer whose output is input k of layer `index`, -1 for the model's input. */
int       tl_model_input_of       (const TlModel *model, int index, int k);
int       tl_model_n_inputs_of    (const TlModel *model, int index);
/* TRUE when layers [k, n) read nothing below layer k - 1: a range starting at
 * k needs only the output of layer k - 1 (always so in a plain stack). */
gboolean  tl_model_is_cut         (const TlModel *model, int k);
TlModel  *tl_model_copy           (const TlModel *model);
int       tl_model_n_layers       (const TlModel *model);
TlLayer  *tl_model_layer          (const TlModel *model, int index);
int       tl_model_find_layer     (const TlModel *model, const char *name);
/* Per-sample output shape of the last layer. */
const int *tl_model_out_shape     (const TlModel *model, int *ndim);
int       tl_model_n_outputs      (const TlModel *model);
/* TRUE when the input holds token ids (first layer is an Embedding). */
gboolean  tl_model_takes_tokens   (const TlModel *model);

/* Runs the batch [batch, in_shape...] through every layer. The returned
 * tensor belongs to the model and lives until the next forward. */
const TlTensor *tl_model_forward  (TlModel *model, const TlTensor *input, gboolean training);
/* Back-propagates dL/d(output) of the last forward (in training mode). Stops
 * below the lowest trainable layer: nothing under it needs a gradient. */
void      tl_model_backward       (TlModel *model, const TlTensor *input, const TlTensor *grad_output);
/* Runs layers [from, to) only: used by the feature cache of frozen lower layers.
 * A backward range is the range of the forward (in training mode) before it.
 * In a graph model, a forward range reads the outputs below layer from - 1 that
 * the last forward left (none when `from` is a cut, see tl_model_is_cut), and
 * a backward range passes no gradient below from - 1. */
const TlTensor *tl_model_forward_range (TlModel *model, const TlTensor *input, int from, int to, gboolean training);
void      tl_model_backward_range (TlModel *model, const TlTensor *input, const TlTensor *grad_output, int from, int to);
void      tl_model_zero_grad      (TlModel *model);

gsize     tl_model_param_count    (const TlModel *model, gboolean trainable_only);

/* Walks the parameters of every layer in layer order, each layer's in its own
 * order: the order of model files, checkpoints and flat weight copies.
 *
 *   TlParamIter it;
 *   TlLayer *layer;
 *   TlParam *param;
 *
 *   tl_model_param_iter_init (&it, model);
 *   while (tl_model_param_iter_next (&it, &layer, &param))
 *     ...
 */
typedef struct {
  const TlModel *model;
  int            layer_index;        /* of the layer last returned */
  int            param_index;        /* of the parameter last returned, within its layer */
} TlParamIter;

void      tl_model_param_iter_init (TlParamIter *iter, const TlModel *model);
/* Sets *layer and *param (either may be NULL) to the next parameter; FALSE after the last. */
gboolean  tl_model_param_iter_next (TlParamIter *iter, TlLayer **layer, TlParam **param);
void      tl_model_set_trainable  (TlModel *model, int index, gboolean trainable);
/* Freezes layers [0, k) and unfreezes the rest. */
void      tl_model_freeze_below   (TlModel *model, int k);
void      tl_model_set_lr_mult    (TlModel *model, int index, float mult);
/* Index of the lowest layer with trainable parameters, or n_layers if none. */
int       tl_model_lowest_trainable (const TlModel *model);
/* The first layer from `first` up that does more than reshape its input (a
 * Flatten only reshapes): a caller that gives a batch already in that shape
 * can start the forward pass there and save the copy. */
int       tl_model_skip_reshapes  (const TlModel *model, int first);
/* Replaces the last Dense layer with a fresh one of n_outputs units (initialised
 * from the model's rng); layers after it (an activation) are kept. */
gboolean  tl_model_replace_head   (TlModel *model, int n_outputs, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlModel, tl_model_free)

/* Presets, for inputs of the given per-sample shape and n_classes outputs. */
typedef enum {
  TL_PRESET_MLP,        /* Flatten - Dense 256 - ReLU - Dense 128 - ReLU - Dense n */
  TL_PRESET_CNN,        /* Conv 3x3 32 - ReLU - Pool 2 - Conv 3x3 64 - ReLU - Pool 2 - Flatten - Dense 128 - ReLU - Dense n */
  TL_PRESET_TEXT_LSTM,  /* Embedding(vocab, 128) - LSTM(64) - Dense n */
  TL_PRESET_TEXT_POOL,  /* Embedding(vocab, 64) - GlobalAveragePool1D - Dense 64 - ReLU - Dense n */
  TL_PRESET_TEXT_NGRAM, /* EmbeddingBag(terms, 64) - ReLU - Dropout 0.5 - Dense n, over n-gram bags */
  TL_PRESET_AUDIO_CNN,  /* over spectrograms [1, bands, frames]: three blocks of Conv 3x3 (32, 64, 64,
                         * padded) - ReLU - Pool 2, then Flatten - Dense 128 - ReLU - Dropout 0.3 - Dense n */
} TlPreset;

const char *tl_preset_name        (TlPreset preset);
gboolean    tl_preset_from_name   (const char *name, TlPreset *preset);

typedef struct {
  int   epochs;
  int   batch_size;
  float learning_rate;
} TlPresetTraining;

/* What a preset trains with on n_train rows when nothing else is asked: 10
 * epochs of 32 at 1e-3 (Adam), except for n-gram bags of 4,096 rows or more. */
void        tl_preset_training    (TlPreset preset, int n_train, TlPresetTraining *training);
/* vocab_size is used by the text presets only. */
TlModel    *tl_model_new_preset   (TlPreset preset, int in_ndim, const int *in_shape, int n_classes,
                                   int vocab_size, guint64 seed, GError **error);

/* Builds ctx.mask [batch, steps] (1 where the token id is not 0) from a batch of
 * token ids. Forward does this itself when it starts at layer 0; a run that
 * starts higher (from cached features) calls it with the batch's tokens. */
void        tl_model_set_token_mask (TlModel *model, const TlTensor *tokens);

G_END_DECLS
