#pragma once

#include <glib.h>

#include "tl-rng.h"
#include "tl-tensor.h"

G_BEGIN_DECLS

/* Values are stored in files: new kinds go at the end. */
typedef enum {
  TL_LAYER_DENSE,
  TL_LAYER_RELU,
  TL_LAYER_TANH,
  TL_LAYER_SIGMOID,
  TL_LAYER_SOFTMAX,
  TL_LAYER_DROPOUT,
  TL_LAYER_FLATTEN,
  TL_LAYER_CONV2D,
  TL_LAYER_MAXPOOL2D,
  TL_LAYER_EMBEDDING,
  TL_LAYER_LSTM,
  TL_LAYER_GRU,
  TL_LAYER_GLOBAL_AVG_POOL1D,
  TL_LAYER_GLOBAL_MAX_POOL1D,
  TL_LAYER_EMBEDDING_BAG,
  TL_LAYER_GRADIENT_REVERSAL,
  TL_LAYER_BATCHNORM2D,
  TL_LAYER_BATCHNORM1D,
  TL_LAYER_RELU6,
  TL_LAYER_CLIP,
  TL_LAYER_HARDSWISH,
  TL_LAYER_GLOBAL_AVG_POOL2D,
  TL_LAYER_AVGPOOL2D,
  TL_LAYER_ADD,
  TL_LAYER_CONCAT,
  TL_LAYER_HARDSIGMOID,
  TL_LAYER_MUL,
  TL_N_LAYER_KINDS
} TlLayerKind;

/* What a layer is, independent of its weights: everything needed to build it
 * again from the shape of its input. Fields a kind does not use stay 0. */
typedef struct {
  TlLayerKind kind;
  int      units;             /* Dense outputs; LSTM and GRU hidden size */
  int      filters;           /* Conv2D output channels */
  int      kernel;            /* Conv2D kernel, MaxPool2D and AvgPool2D window (square) */
  int      stride;            /* Conv2D, MaxPool2D, AvgPool2D; 0 means 1 for Conv2D and kernel for pools */
  int      padding;           /* Conv2D and AvgPool2D zero padding, MaxPool2D padding, on each side */
  int      groups;            /* Conv2D channel groups; 0 means 1, in_channels is depthwise */
  int      vocab_size;        /* Embedding rows (index 0 is padding) */
  int      embed_dim;         /* Embedding columns */
  gboolean return_sequences;  /* LSTM, GRU: every step's state instead of the last */
  float    rate;              /* Dropout probability of dropping; GradientReversal scale */
  float    clip_min;          /* Clip bounds */
  float    clip_max;
  gboolean frozen_stats;      /* BatchNorm: a frozen layer still updates its running statistics */
} TlLayerSpec;

/* Inputs of one layer of a graph model (a join's operands). */
#define TL_LAYER_MAX_INPUTS 8

/* Per-call facts a layer needs besides its input. */
typedef struct {
  gboolean     training;      /* dropout active, caches for backward kept */
  TlRng       *rng;           /* dropout masks */
  /* [batch, steps]: 1 for a real token, 0 for padding; NULL when the input is not a sequence.
   * Recurrent layers leave their state unchanged on padded steps; 1-D pools ignore them. */
  const float *mask;
  int          mask_steps;
  /* Set by the model around a Conv2D that a ReLU follows, for the convolution
   * to apply the ReLU in its own passes: forward then also writes the ReLU's
   * output into relu_out; backward (relu_grad TRUE) receives the gradient at
   * the ReLU's output and applies the ReLU's derivative from its own output. */
  TlTensor    *relu_out;
  gboolean     relu_grad;
  /* Set by the model around a Conv2D that a ReLU and a 2x2, stride-2 max-pool
   * follow: forward writes only the pooled output into pool_out and leaves
   * its own output empty (batch 0); backward (pool_grad TRUE) receives the
   * gradient at the pool's output. */
  TlTensor    *pool_out;
  gboolean     pool_grad;
  /* Set by a graph model around a layer of several inputs (Add, Concat, Mul):
   * `in` is the first, these the others; backward writes dL/d(extra_in[k])
   * into extra_grad[k] (resized) unless it is NULL. */
  int              n_extra;
  const TlTensor  *extra_in[TL_LAYER_MAX_INPUTS - 1];
  TlTensor        *extra_grad[TL_LAYER_MAX_INPUTS - 1];
} TlContext;

#define TL_LAYER_MAX_PARAMS 4
#define TL_LAYER_MAX_BUFFERS 2

/* The rows of a table parameter whose gradient may be non-zero since it was
 * last cleared: a layer whose gradient touches a few rows of a large table
 * (embedding_bag) lists them, and the optimiser updates only those rows, as
 * torch.optim.SparseAdam does with a sparse nn.EmbeddingBag. */
typedef struct {
  int     row_size;          /* floats per row */
  int     n_rows;
  int    *rows;               /* the first n_rows entries, in the order first touched */
  guint8 *marked;             /* one flag per row of the table */
} TlRowSet;

/* The entries of a parameter that can ever receive a gradient, when the
 * layer's fixed geometry rules the others out: in each row of `period`
 * floats, those at offsets live[0..n_live). A convolution whose border taps
 * never read the image declares its kernel's live taps; an optimiser without
 * weight decay leaves the other entries as they are and keeps no state for them. */
typedef struct {
  int  period;
  int  n_live;
  int *live;                  /* ascending */
} TlParamSupport;

typedef struct {
  char     *name;             /* PyTorch state-dict name within the layer: "weight", "bias_ih_l0" */
  TlTensor *value;
  TlTensor *grad;             /* same shape; backward adds into it */
  TlRowSet *touched;          /* NULL: the whole gradient counts */
  TlParamSupport *support;    /* NULL: every entry can learn */
} TlParam;

typedef struct _TlLayer TlLayer;

typedef struct {
  /* Resizes `out` to the batch and writes the layer's output. In training mode it
   * keeps whatever backward needs (in the layer's private workspace). */
  void (*forward)  (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out);
  /* Given dL/d(out), adds dL/d(param) into each parameter's grad when the layer is
   * trainable, and writes dL/d(in) into grad_in (resized to in) unless grad_in is NULL. */
  void (*backward) (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in);
  /* Frees layer->priv. */
  void (*finalize) (TlLayer *layer);
} TlLayerOps;

struct _TlLayer {
  const TlLayerOps *ops;
  TlLayerSpec spec;
  char       *name;                        /* unique in a model: "conv1", "dense2" */
  int         in_ndim;                     /* per-sample shapes, without the batch */
  int         in_shape[TL_MAX_DIMS];
  int         out_ndim;
  int         out_shape[TL_MAX_DIMS];
  int         n_params;
  TlParam     params[TL_LAYER_MAX_PARAMS];
  /* State saved with the weights but not trained (batch-norm running
   * statistics): grad is NULL and no optimiser sees them. */
  int         n_buffers;
  TlParam     buffers[TL_LAYER_MAX_BUFFERS];
  /* Where the layer reads: n_inputs 0 in a plain stack (the previous
   * layer's output); in a graph model, the indices of the layers whose
   * outputs it reads, -1 for the model's input, inputs[0] being `in`. */
  int         n_inputs;
  int         inputs[TL_LAYER_MAX_INPUTS];
  int         input_channels[TL_LAYER_MAX_INPUTS]; /* a join's: first dimension of each input */
  gboolean    trainable;                   /* FALSE: frozen, no weight gradients, no optimiser state */
  float       lr_mult;                     /* learning-rate multiplier, 1 by default */
  gpointer    priv;                        /* the kind's workspace */
};

void        tl_layer_free        (TlLayer *layer);
void        tl_layer_forward     (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out);
void        tl_layer_backward    (TlLayer *layer, const TlContext *ctx, const TlTensor *in,
                                  const TlTensor *out, const TlTensor *grad_out, TlTensor *grad_in);
void        tl_layer_zero_grad   (TlLayer *layer);
gsize       tl_layer_param_count (const TlLayer *layer);
TlParam    *tl_layer_find_param  (TlLayer *layer, const char *name);
/* TRUE when the layer's training output is not a fixed function of each
 * sample (dropout's masks, batch statistics of a frozen batch norm that keeps
 * updating them): its outputs cannot be computed once and cached. */
gboolean    tl_layer_has_randomness (const TlLayer *layer);

/* "dense", "relu", ..., as in files and on the command line */
const char *tl_layer_kind_name   (TlLayerKind kind);
gboolean    tl_layer_kind_from_name (const char *name, TlLayerKind *kind);

/* Used by the kinds' constructors (tl-layer-*.c). */
void        tl_layer_add_param   (TlLayer *layer, const char *name, int ndim, const int *shape);
void        tl_layer_add_buffer  (TlLayer *layer, const char *name, int ndim, const int *shape);
TlParam    *tl_layer_find_buffer (TlLayer *layer, const char *name);
/* Makes the gradient of a table parameter [rows, row_size] track its touched rows. */
void        tl_param_track_rows  (TlParam *param);
static inline void
tl_row_set_add (TlRowSet *set, int row)
{
  if (!set->marked[row])
    {
      set->marked[row] = 1;
      set->rows[set->n_rows++] = row;
    }
}
/* Declares that only offsets live[0..n_live) of each row of `period` floats can
 * receive a gradient (TlParamSupport). */
void        tl_param_set_support (TlParam *param, int period, int n_live, const int *live);
/* Zeroes the touched rows of the gradient and forgets them. */
void        tl_param_clear_rows  (TlParam *param);
/* Forgets the touched rows, whose gradient the caller has zeroed. */
void        tl_row_set_forget    (TlRowSet *set);
/* Puts the touched rows in ascending order. */
void        tl_row_set_sort      (TlRowSet *set);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TlLayer, tl_layer_free)

G_END_DECLS
