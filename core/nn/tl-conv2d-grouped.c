#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <math.h>
#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* Conv2D with channel groups, as PyTorch's groups: the input channels and the
 * filters are cut into `groups` equal runs and each run of filters sees only
 * its run of channels; weight [filters, in_channels / groups, k, k].
 * Depthwise convolution is groups = in_channels. Direct loops: each group is
 * small, so there is no product to hand to a matrix kernel. */

typedef struct {
  int in_c, in_h, in_w;
  int k, stride, pad;
  int out_h, out_w;
  int filters, groups;
  int cg, fg;                 /* channels and filters per group */
} Grouped;

typedef struct {
  const Grouped *gc;
  int            batch;
  const float   *x;
  const float   *w;
  const float   *b;
  float         *y;
  const float   *g;
  float         *dw;
  float         *db;
  float         *dx;
} GroupedPass;

/* Output planes [p0, p1): plane = sample * filters + filter. */
static void
forward_planes (gpointer data, gsize p0, gsize p1)
{
  const GroupedPass *p = data;
  const Grouped *gc = p->gc;
  const int K = gc->k, H = gc->in_h, W = gc->in_w;
  const gsize plane_in = (gsize) H * W, plane_out = (gsize) gc->out_h * gc->out_w;

  for (gsize pl = p0; pl < p1; pl++)
    {
      const int n = (int) (pl / gc->filters), f = (int) (pl % gc->filters);
      const int c0 = (f / gc->fg) * gc->cg;
      float *y = p->y + pl * plane_out;

      for (gsize i = 0; i < plane_out; i++)
        y[i] = p->b[f];
      for (int c = 0; c < gc->cg; c++)
        {
          const float *x = p->x + ((gsize) n * gc->in_c + c0 + c) * plane_in;
          const float *wk = p->w + ((gsize) f * gc->cg + c) * K * K;

          for (int oh = 0; oh < gc->out_h; oh++)
            for (int ow = 0; ow < gc->out_w; ow++)
              {
                const int h0 = oh * gc->stride - gc->pad, w0 = ow * gc->stride - gc->pad;
                float sum = 0.0f;

                for (int i = MAX (-h0, 0); i < MIN (K, H - h0); i++)
                  for (int j = MAX (-w0, 0); j < MIN (K, W - w0); j++)
                    sum += wk[i * K + j] * x[(gsize) (h0 + i) * W + w0 + j];
                y[oh * gc->out_w + ow] += sum;
              }
        }
    }
}

/* Weight and bias gradients of filters [f0, f1), summed over the batch in order. */
static void
weight_grad_filters (gpointer data, gsize f0, gsize f1)
{
  const GroupedPass *p = data;
  const Grouped *gc = p->gc;
  const int K = gc->k, H = gc->in_h, W = gc->in_w;
  const gsize plane_in = (gsize) H * W, plane_out = (gsize) gc->out_h * gc->out_w;

  for (gsize f = f0; f < f1; f++)
    {
      const int c0 = ((int) f / gc->fg) * gc->cg;

      for (int n = 0; n < p->batch; n++)
        {
          const float *g = p->g + ((gsize) n * gc->filters + f) * plane_out;
          float sb = 0.0f;

          for (gsize i = 0; i < plane_out; i++)
            sb += g[i];
          p->db[f] += sb;
          for (int c = 0; c < gc->cg; c++)
            {
              const float *x = p->x + ((gsize) n * gc->in_c + c0 + c) * plane_in;
              float *dwk = p->dw + ((gsize) f * gc->cg + c) * K * K;

              for (int i = 0; i < K; i++)
                for (int j = 0; j < K; j++)
                  {
                    float sum = 0.0f;

                    for (int oh = 0; oh < gc->out_h; oh++)
                      {
                        const int h = oh * gc->stride - gc->pad + i;
                        if (h < 0 || h >= H)
                          continue;
                        for (int ow = 0; ow < gc->out_w; ow++)
                          {
                            const int w = ow * gc->stride - gc->pad + j;
                            if (w >= 0 && w < W)
                              sum += g[oh * gc->out_w + ow] * x[(gsize) h * W + w];
                          }
                      }
                    dwk[i * K + j] += sum;
                  }
            }
        }
    }
}

/* Input gradients of (sample, group) pairs [q0, q1). */
static void
input_grad_groups (gpointer data, gsize q0, gsize q1)
{
  const GroupedPass *p = data;
  const Grouped *gc = p->gc;
  const int K = gc->k, H = gc->in_h, W = gc->in_w;
  const gsize plane_in = (gsize) H * W, plane_out = (gsize) gc->out_h * gc->out_w;

  for (gsize q = q0; q < q1; q++)
    {
      const int n = (int) (q / gc->groups), grp = (int) (q % gc->groups);
      float *dx0 = p->dx + ((gsize) n * gc->in_c + (gsize) grp * gc->cg) * plane_in;

      memset (dx0, 0, sizeof (float) * plane_in * gc->cg);
      for (int fo = 0; fo < gc->fg; fo++)
        {
          const int f = grp * gc->fg + fo;
          const float *g = p->g + ((gsize) n * gc->filters + f) * plane_out;

          for (int c = 0; c < gc->cg; c++)
            {
              const float *wk = p->w + ((gsize) f * gc->cg + c) * K * K;
              float *dx = dx0 + (gsize) c * plane_in;

              for (int oh = 0; oh < gc->out_h; oh++)
                for (int ow = 0; ow < gc->out_w; ow++)
                  {
                    const int h0 = oh * gc->stride - gc->pad, w0 = ow * gc->stride - gc->pad;
                    const float v = g[oh * gc->out_w + ow];

                    for (int i = MAX (-h0, 0); i < MIN (K, H - h0); i++)
                      for (int j = MAX (-w0, 0); j < MIN (K, W - w0); j++)
                        dx[(gsize) (h0 + i) * W + w0 + j] += v * wk[i * K + j];
                  }
            }
        }
    }
}

static gsize
grain (const Grouped *gc, gsize work_per_item)
{
  return MAX (65536 / MAX (work_per_item, 1), 1);
}

static void
grouped_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const Grouped *gc = layer->priv;
  GroupedPass p = { gc, in->shape[0], in->data, layer->params[0].value->data,
                    layer->params[1].value->data, NULL, NULL, NULL, NULL, NULL };
  const gsize work = (gsize) gc->out_h * gc->out_w * gc->cg * gc->k * gc->k;

  g_assert (ctx->relu_out == NULL && ctx->pool_out == NULL);
  g_assert (in->size == (gsize) p.batch * gc->in_c * gc->in_h * gc->in_w);
  tl_tensor_resize (out, 4, (int[]) { p.batch, gc->filters, gc->out_h, gc->out_w });
  p.y = out->data;
  tl_parallel_for ((gsize) p.batch * gc->filters, grain (gc, work), forward_planes, &p);
}

static void
grouped_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                  const TlTensor *grad_out, TlTensor *grad_in)
{
  const Grouped *gc = layer->priv;
  GroupedPass p = { gc, in->shape[0], in->data, layer->params[0].value->data, NULL, NULL,
                    grad_out->data, layer->params[0].grad->data, layer->params[1].grad->data, NULL };
  const gsize work = (gsize) gc->out_h * gc->out_w * gc->cg * gc->k * gc->k;

  if (layer->trainable)
    tl_parallel_for (gc->filters, grain (gc, work * p.batch), weight_grad_filters, &p);
  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  p.dx = grad_in->data;
  tl_parallel_for ((gsize) p.batch * gc->groups, grain (gc, work * gc->fg), input_grad_groups, &p);
}

static void
grouped_finalize (TlLayer *layer)
{
  g_free (layer->priv);
}

static const TlLayerOps grouped_ops = { grouped_forward, grouped_backward, grouped_finalize };

gboolean
tl_conv2d_grouped_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const TlLayerSpec *s = &layer->spec;
  const int G = s->groups;
  Grouped *gc;
  float bound;

  if (layer->in_shape[0] % G != 0 || s->filters % G != 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "conv2d groups %d must divide both the input channels (%d) and the filters (%d)",
                   G, layer->in_shape[0], s->filters);
      return FALSE;
    }
  gc = g_new0 (Grouped, 1);
  gc->in_c = layer->in_shape[0];
  gc->in_h = layer->in_shape[1];
  gc->in_w = layer->in_shape[2];
  gc->k = s->kernel;
  gc->stride = s->stride > 0 ? s->stride : 1;
  gc->pad = s->padding;
  gc->filters = s->filters;
  gc->groups = G;
  gc->cg = gc->in_c / G;
  gc->fg = gc->filters / G;
  gc->out_h = (gc->in_h + 2 * gc->pad - gc->k) / gc->stride + 1;
  gc->out_w = (gc->in_w + 2 * gc->pad - gc->k) / gc->stride + 1;
  layer->priv = gc;
  layer->ops = &grouped_ops;
  layer->out_ndim = 3;
  layer->out_shape[0] = gc->filters;
  layer->out_shape[1] = gc->out_h;
  layer->out_shape[2] = gc->out_w;

  tl_layer_add_param (layer, "weight", 4, (int[]) { gc->filters, gc->cg, gc->k, gc->k });
  tl_layer_add_param (layer, "bias", 1, (int[]) { gc->filters });
  bound = 1.0f / sqrtf ((float) (gc->cg * gc->k * gc->k));
  for (int p = 0; p < 2; p++)
    {
      TlTensor *t = layer->params[p].value;
      for (gsize i = 0; i < t->size; i++)
        t->data[i] = tl_rng_uniform_range (rng, -bound, bound);
    }
  return TRUE;
}
