#define G_LOG_DOMAIN "tl-layer"

#include "config.h"

#include <string.h>

#include "tl-error.h"
#include "tl-layer.h"

/* Max pooling over square windows of each channel; backward routes each
 * output's gradient to the input that won its window. */

typedef struct {
  int    c, h, w;
  int    k, stride;
  int    out_h, out_w;
  int   *argmax;        /* per output: index of the winner within its sample */
  gsize  capacity;
} MaxPool2D;

static void
maxpool2d_forward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, TlTensor *out)
{
  MaxPool2D *mp = layer->priv;
  const int batch = in->shape[0];
  const int k = mp->k, s = mp->stride, W = mp->w;
  const gsize plane_in = (gsize) mp->h * mp->w, plane_out = (gsize) mp->out_h * mp->out_w;
  const gsize n_out = (gsize) batch * mp->c * plane_out;

  g_assert (in->size == (gsize) batch * mp->c * plane_in);
  tl_tensor_resize (out, 4, (int[]) { batch, mp->c, mp->out_h, mp->out_w });
  if (n_out > mp->capacity)
    {
      g_free (mp->argmax);
      mp->argmax = g_new (int, n_out);
      mp->capacity = n_out;
    }

  for (int b = 0; b < batch; b++)
    for (int c = 0; c < mp->c; c++)
      {
        const gsize plane = (gsize) c * plane_in;
        const float *x = in->data + (gsize) b * mp->c * plane_in + plane;
        float *y = out->data + ((gsize) b * mp->c + c) * plane_out;
        int *arg = mp->argmax + ((gsize) b * mp->c + c) * plane_out;

        for (int oh = 0; oh < mp->out_h; oh++)
          for (int ow = 0; ow < mp->out_w; ow++)
            {
              const int top = oh * s * W + ow * s;
              int best = top;
              float max = x[top];

              for (int i = 0; i < k; i++)
                {
                  const int row = top + i * W;
                  for (int j = 0; j < k; j++)
                    if (x[row + j] > max)
                      {
                        max = x[row + j];
                        best = row + j;
                      }
                }
              y[oh * mp->out_w + ow] = max;
              arg[oh * mp->out_w + ow] = (int) plane + best;
            }
      }
}

static void
maxpool2d_backward (TlLayer *layer, const TlContext *ctx, const TlTensor *in, const TlTensor *out,
                    const TlTensor *grad_out, TlTensor *grad_in)
{
  MaxPool2D *mp = layer->priv;
  const int batch = in->shape[0];
  const gsize sample_in = (gsize) mp->c * mp->h * mp->w;
  const gsize sample_out = (gsize) mp->c * mp->out_h * mp->out_w;

  if (grad_in == NULL)
    return;
  tl_tensor_resize (grad_in, in->ndim, in->shape);
  tl_tensor_zero (grad_in);
  for (int b = 0; b < batch; b++)
    {
      float *d = grad_in->data + (gsize) b * sample_in;
      const float *g = grad_out->data + (gsize) b * sample_out;
      const int *arg = mp->argmax + (gsize) b * sample_out;

      for (gsize i = 0; i < sample_out; i++)
        d[arg[i]] += g[i];
    }
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
  if (s->kernel < 1 || s->stride < 0)
    {
      g_set_error (error, TL_ERROR, TL_ERROR_INVALID_ARGUMENT,
                   "maxpool2d needs a window of at least 1 and a stride >= 0, got window %d, stride %d",
                   s->kernel, s->stride);
      return FALSE;
    }
  if (layer->in_shape[0] < 1 || layer->in_shape[1] < s->kernel || layer->in_shape[2] < s->kernel)
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
  mp->out_h = (mp->h - mp->k) / stride + 1;
  mp->out_w = (mp->w - mp->k) / stride + 1;
  layer->priv = mp;
  layer->ops = &maxpool2d_ops;
  layer->out_ndim = 3;
  layer->out_shape[0] = mp->c;
  layer->out_shape[1] = mp->out_h;
  layer->out_shape[2] = mp->out_w;
  return TRUE;
}
