#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-fastmath.h"
#include "tl-layer-kinds.h"
#include "tl-parallel.h"

/* Max pooling over square windows of each channel; backward routes each
 * output's gradient to the input that won its window. Padding, as in PyTorch,
 * extends the input by values that never win. */

typedef struct {
  int    c, h, w;
  int    k, stride, pad;
  int    out_h, out_w;
  int   *argmax;        /* per output: index of the winner within its sample */
  gsize  capacity;
  gboolean winners;     /* the last forward pass kept argmax: it was a training one */
} MaxPool2D;

typedef struct {
  MaxPool2D   *mp;
  const float *x;
  float       *y;
  const float *g;
  float       *d;
} PoolPass;

/* One output row of a 2x2, stride 2 window; the first of equal maxima wins, as
 * in the general loop. `top` is the index of r0[0] within its sample. */
static void
pool2_row (float *restrict y, int *restrict arg, const float *restrict r0, int W, int OW, int top)
{
  const float *restrict r1 = r0 + W;

  for (int ow = 0; ow < OW; ow++)
    {
      const float a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      const guint32 ba = b > a, dc = d > c;
      const float ma = tl_pick_float (ba, b, a), mc = tl_pick_float (dc, d, c);
      const guint32 lower = mc > ma;

      y[ow] = tl_pick_float (lower, mc, ma);
      arg[ow] = top + 2 * ow + (int) ba + (int) (lower * (guint32) W + lower * (dc - ba));
    }
}

/* Gradients of one output row of 2x2, stride 2 windows: each of the four
 * inputs gets the gradient if it won, else zero, so no clearing pass is needed. */
static void
unpool2_row (float *restrict d0, const float *restrict g, const int *restrict arg, int W, int OW, int top)
{
  float *restrict d1 = d0 + W;

  for (int ow = 0; ow < OW; ow++)
    {
      const int a = arg[ow] - top - 2 * ow;
      const float gv = g[ow];

      d0[2 * ow] = tl_mask_float (gv, a == 0);
      d0[2 * ow + 1] = tl_mask_float (gv, a == 1);
      d1[2 * ow] = tl_mask_float (gv, a == W);
      d1[2 * ow + 1] = tl_mask_float (gv, a == W + 1);
    }
}

/* Planes [p0, p1) of the batch (one plane is one channel of one sample). */
static void
forward_planes (gpointer data, gsize p0, gsize p1)
{
  const PoolPass *pp = data;
  const MaxPool2D *mp = pp->mp;
  const int k = mp->k, s = mp->stride, W = mp->w, OW = mp->out_w;
  const gsize plane_in = (gsize) mp->h * mp->w, plane_out = (gsize) mp->out_h * mp->out_w;

  for (gsize pl = p0; pl < p1; pl++)
    {
      const int base = (int) ((pl % mp->c) * plane_in);
      const float *x = pp->x + pl * plane_in;
      float *y = pp->y + pl * plane_out;
      int *arg = mp->argmax + pl * plane_out;

      for (int oh = 0; oh < mp->out_h; oh++)
        {
          if (k == 2 && s == 2 && mp->pad == 0)
            {
              pool2_row (y + oh * OW, arg + oh * OW, x + (gsize) 2 * oh * W, W, OW, base + 2 * oh * W);
              continue;
            }
          for (int ow = 0; ow < OW; ow++)
            {
              const int h0 = MAX (oh * s - mp->pad, 0), h1 = MIN (oh * s - mp->pad + k, mp->h);
              const int w0 = MAX (ow * s - mp->pad, 0), w1 = MIN (ow * s - mp->pad + k, W);
              int best = h0 * W + w0;
              float max = x[best];

              for (int i = h0; i < h1; i++)
                {
                  const int row = i * W;
                  for (int j = w0; j < w1; j++)
                    if (x[row + j] > max)
                      {
                        max = x[row + j];
                        best = row + j;
                      }
                }
              y[oh * OW + ow] = max;
              arg[oh * OW + ow] = base + best;
            }
        }
    }
}

/* Without a backward pass to come, no winner is kept: each window's maximum
 * is taken down its columns, then along the row, which reads each input
 * once per window row instead of once per window. */
static void
forward_planes_values (gpointer data, gsize p0, gsize p1)
{
  const PoolPass *pp = data;
  const MaxPool2D *mp = pp->mp;
  const int k = mp->k, s = mp->stride, W = mp->w, OW = mp->out_w;
  const gsize plane_in = (gsize) mp->h * mp->w, plane_out = (gsize) mp->out_h * mp->out_w;
  float cols[W];

  for (gsize pl = p0; pl < p1; pl++)
    {
      const float *x = pp->x + pl * plane_in;
      float *y = pp->y + pl * plane_out;

      for (int oh = 0; oh < mp->out_h; oh++)
        {
          const int h0 = MAX (oh * s - mp->pad, 0), h1 = MIN (oh * s - mp->pad + k, mp->h);

          memcpy (cols, x + (gsize) h0 * W, sizeof (float) * W);
          for (int i = h0 + 1; i < h1; i++)
            for (int w = 0; w < W; w++)
              cols[w] = x[(gsize) i * W + w] > cols[w] ? x[(gsize) i * W + w] : cols[w];
          for (int ow = 0; ow < OW; ow++)
            {
              const int w0 = MAX (ow * s - mp->pad, 0), w1 = MIN (ow * s - mp->pad + k, W);
              float max = cols[w0];

              for (int j = w0 + 1; j < w1; j++)
                max = cols[j] > max ? cols[j] : max;
              y[oh * OW + ow] = max;
            }
        }
    }
}

static void
maxpool2d_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  MaxPool2D *mp = layer->priv;
  const int batch = in->shape[0];
  const gsize plane_in = (gsize) mp->h * mp->w, plane_out = (gsize) mp->out_h * mp->out_w;
  const gsize n_out = (gsize) batch * mp->c * plane_out;
  const gsize planes = (gsize) batch * mp->c;
  PoolPass pp = { mp, in->data, NULL, NULL, NULL };

  g_assert (in->size == (gsize) batch * mp->c * plane_in);
  tl_tensor_resize (out, 4, (int[]) { batch, mp->c, mp->out_h, mp->out_w });
  if (n_out > mp->capacity)
    {
      g_free (mp->argmax);
      mp->argmax = g_new (int, n_out);
      mp->capacity = n_out;
    }
  pp.y = out->data;
  mp->winners = ctx != NULL && ctx->training;
  tl_parallel_for (planes, MAX (16384 / MAX (plane_in, 1), 1), mp->winners ? forward_planes : forward_planes_values,
                   &pp);
}

/* Each plane's gradient is zeroed, then receives its outputs' gradients in
 * order: planes never share inputs, so they can go to different threads. */
static void
backward_planes (gpointer data, gsize p0, gsize p1)
{
  const PoolPass *pp = data;
  const MaxPool2D *mp = pp->mp;
  const gsize plane_in = (gsize) mp->h * mp->w, plane_out = (gsize) mp->out_h * mp->out_w;

  for (gsize pl = p0; pl < p1; pl++)
    {
      /* argmax holds indices within the sample: rebase them on the plane */
      const gsize base = (pl % mp->c) * plane_in;
      float *d = pp->d + pl * plane_in - base;
      const float *g = pp->g + pl * plane_out;
      const int *arg = mp->argmax + pl * plane_out;

      if (mp->k == 2 && mp->stride == 2 && mp->pad == 0)
        {
          const int W = mp->w, OW = mp->out_w;

          for (int oh = 0; oh < mp->out_h; oh++)
            {
              float *row = d + base + (gsize) 2 * oh * W;
              unpool2_row (row, g + oh * OW, arg + oh * OW, W, OW, (int) base + 2 * oh * W);
              /* an odd width leaves a last column outside every window */
              for (int w = 2 * OW; w < W; w++)
                row[w] = row[W + w] = 0.0f;
            }
          for (int h = 2 * mp->out_h; h < mp->h; h++)
            memset (d + base + (gsize) h * W, 0, sizeof (float) * W);
          continue;
        }
      memset (d + base, 0, sizeof (float) * plane_in);
      for (gsize i = 0; i < plane_out; i++)
        d[arg[i]] += g[i];
    }
}

static void
maxpool2d_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  MaxPool2D *mp = layer->priv;
  const int batch = in->shape[0];
  const gsize plane_in = (gsize) mp->h * mp->w;
  PoolPass pp = { mp, NULL, NULL, grad_out->data, NULL };

  if (grad_in == NULL)
    return;
  g_return_if_fail (mp->winners);
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  pp.d = grad_in->data;
  tl_parallel_for ((gsize) batch * mp->c, MAX (16384 / MAX (plane_in, 1), 1), backward_planes, &pp);
}

static void
maxpool2d_finalize (TlLayer *layer)
{
  MaxPool2D *mp = layer->priv;

  g_free (mp->argmax);
  g_free (mp);
}

static const TlLayerOps maxpool2d_ops = { maxpool2d_forward, maxpool2d_backward, maxpool2d_finalize };

gboolean
tl_maxpool2d_init (TlLayer *layer, TlRng *rng, GError **error)
{
  const TlLayerSpec *s = &layer->spec;
  MaxPool2D *mp;
  int stride;

  if (layer->in_ndim != 3)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "maxpool2d expects an image input [channels, height, width], got %s", shape);
      return FALSE;
    }
  if (s->kernel < 1 || s->stride < 0 || s->padding < 0 || 2 * s->padding > s->kernel)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "maxpool2d needs a window of at least 1, a stride >= 0 and a padding of at most half "
                   "the window, got window %d, stride %d, padding %d", s->kernel, s->stride, s->padding);
      return FALSE;
    }
  if (layer->in_shape[0] < 1 || layer->in_shape[1] + 2 * s->padding < s->kernel
      || layer->in_shape[2] + 2 * s->padding < s->kernel)
    {
      g_autofree char *shape = tl_tensor_shape_string (layer->in_ndim, layer->in_shape);
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "maxpool2d window %dx%d does not fit an input of %s", s->kernel, s->kernel, shape);
      return FALSE;
    }

  stride = s->stride > 0 ? s->stride : s->kernel;
  mp = g_new0 (MaxPool2D, 1);
  mp->c = layer->in_shape[0];
  mp->h = layer->in_shape[1];
  mp->w = layer->in_shape[2];
  mp->k = s->kernel;
  mp->stride = stride;
  mp->pad = s->padding;
  mp->out_h = (mp->h + 2 * mp->pad - mp->k) / stride + 1;
  mp->out_w = (mp->w + 2 * mp->pad - mp->k) / stride + 1;
  layer->priv = mp;
  layer->ops = &maxpool2d_ops;
  layer->out_ndim = 3;
  layer->out_shape[0] = mp->c;
  layer->out_shape[1] = mp->out_h;
  layer->out_shape[2] = mp->out_w;
  return TRUE;
}
