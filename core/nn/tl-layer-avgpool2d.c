#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* Average pooling of each channel: over square windows with zero padding
 * (PyTorch's AvgPool2d with count_include_pad, so every window divides by
 * kernel * kernel), or over the whole plane, [C, H, W] -> [C]. */

typedef struct {
  int  c, h, w;
  int  k, stride, pad;
  int  out_h, out_w;
  float scale;        /* 1 / the values a window averages */
} AvgPool2D;

typedef struct {
  const AvgPool2D *ap;
  const float     *src;
  float           *dst;
} AvgPass;

static void
forward_planes (gpointer data, gsize p0, gsize p1)
{
  const AvgPass *pp = data;
  const AvgPool2D *ap = pp->ap;
  const gsize plane_in = (gsize) ap->h * ap->w, plane_out = (gsize) ap->out_h * ap->out_w;
  const float scale = ap->scale;

  for (gsize pl = p0; pl < p1; pl++)
    {
      const float *x = pp->src + pl * plane_in;
      float *y = pp->dst + pl * plane_out;

      for (int oh = 0; oh < ap->out_h; oh++)
        for (int ow = 0; ow < ap->out_w; ow++)
          {
            const int h0 = oh * ap->stride - ap->pad, w0 = ow * ap->stride - ap->pad;
            float sum = 0.0f;

            for (int i = MAX (h0, 0); i < MIN (h0 + ap->k, ap->h); i++)
              for (int j = MAX (w0, 0); j < MIN (w0 + ap->k, ap->w); j++)
                sum += x[(gsize) i * ap->w + j];
            y[oh * ap->out_w + ow] = sum * scale;
          }
    }
}

/* Each input gathers the gradients of the windows covering it, in a fixed order. */
static void
backward_planes (gpointer data, gsize p0, gsize p1)
{
  const AvgPass *pp = data;
  const AvgPool2D *ap = pp->ap;
  const gsize plane_in = (gsize) ap->h * ap->w, plane_out = (gsize) ap->out_h * ap->out_w;
  const float scale = ap->scale;

  for (gsize pl = p0; pl < p1; pl++)
    {
      const float *g = pp->src + pl * plane_out;
      float *d = pp->dst + pl * plane_in;

      memset (d, 0, sizeof (float) * plane_in);
      for (int oh = 0; oh < ap->out_h; oh++)
        for (int ow = 0; ow < ap->out_w; ow++)
          {
            const int h0 = oh * ap->stride - ap->pad, w0 = ow * ap->stride - ap->pad;
            const float v = g[oh * ap->out_w + ow] * scale;

            for (int i = MAX (h0, 0); i < MIN (h0 + ap->k, ap->h); i++)
              for (int j = MAX (w0, 0); j < MIN (w0 + ap->k, ap->w); j++)
                d[(gsize) i * ap->w + j] += v;
          }
    }
}

static void
avgpool2d_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  const AvgPool2D *ap = layer->priv;
  const int batch = in->shape[0];
  AvgPass pp = { ap, in->data, NULL };

  g_assert (in->size == (gsize) batch * ap->c * ap->h * ap->w);
  if (layer->spec.kind == TL_LAYER_GLOBAL_AVG_POOL2D)
    tl_tensor_resize (out, 2, (int[]) { batch, ap->c });
  else
    tl_tensor_resize (out, 4, (int[]) { batch, ap->c, ap->out_h, ap->out_w });
  pp.dst = out->data;
  tl_parallel_for ((gsize) batch * ap->c, MAX (16384 / MAX ((gsize) ap->h * ap->w * ap->k, 1), 1),
                   forward_planes, &pp);
}

static void
avgpool2d_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  const AvgPool2D *ap = layer->priv;
  const int batch = in->shape[0];
  AvgPass pp = { ap, grad_out->data, NULL };

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  pp.dst = grad_in->data;
  tl_parallel_for ((gsize) batch * ap->c, MAX (16384 / MAX ((gsize) ap->h * ap->w * ap->k, 1), 1),
                   backward_planes, &pp);
}

static void
avgpool2d_finalize (TlLayer *layer)
{
  g_free (layer->priv);
}

static const TlLayerOps avgpool2d_ops = { avgpool2d_forward, avgpool2d_backward, avgpool2d_finalize };

gboolean
tl_avgpool2d_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const TlLayerSpec *s = &layer->spec;
  const gboolean global = s->kind == TL_LAYER_GLOBAL_AVG_POOL2D;
  const char *kind = tl_layer_kind_name (s->kind);
  AvgPool2D *ap;

  if (layer->in_ndim != 3 || layer->in_shape[0] < 1 || layer->in_shape[1] < 1 || layer->in_shape[2] < 1)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "%s expects an image input [channels, height, width], got %s", kind, shape);
      return FALSE;
    }
  ap = g_new0 (AvgPool2D, 1);
  ap->c = layer->in_shape[0];
  ap->h = layer->in_shape[1];
  ap->w = layer->in_shape[2];
  if (global)
    {
      /* one window covering the plane: the loops clip it to the plane's sides */
      ap->k = MAX (ap->h, ap->w);
      ap->stride = ap->k;
      ap->out_h = ap->out_w = 1;
      ap->scale = 1.0f / (float) (ap->h * ap->w);
    }
  else
    {
      if (s->kernel < 1 || s->stride < 0 || s->padding < 0 || 2 * s->padding > s->kernel
          || ap->h + 2 * s->padding < s->kernel || ap->w + 2 * s->padding < s->kernel)
        {
          g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
          g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                       "avgpool2d needs a window of at least 1, a stride >= 0 and a padding of at "
                       "most half the window that fit an input of %s, got window %d, stride %d, "
                       "padding %d", shape, s->kernel, s->stride, s->padding);
          g_free (ap);
          return FALSE;
        }
      ap->k = s->kernel;
      ap->stride = s->stride > 0 ? s->stride : s->kernel;
      ap->pad = s->padding;
      ap->out_h = (ap->h + 2 * ap->pad - ap->k) / ap->stride + 1;
      ap->out_w = (ap->w + 2 * ap->pad - ap->k) / ap->stride + 1;
      ap->scale = 1.0f / (float) (ap->k * ap->k);
    }
  layer->priv = ap;
  layer->ops = &avgpool2d_ops;
  if (global)
    {
      layer->out_ndim = 1;
      layer->out_shape[0] = ap->c;
    }
  else
    {
      layer->out_ndim = 3;
      layer->out_shape[0] = ap->c;
      layer->out_shape[1] = ap->out_h;
      layer->out_shape[2] = ap->out_w;
    }
  return TRUE;
}
