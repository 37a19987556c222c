#include "config.h"

#include <glib.h>
#include <math.h>
#include <string.h>

#include "layer-check.h"

/* ---- Embedding and 1-D pools ------------------------------------------- */

static void
test_embedding (void)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    {
      TlRng rng;
      TlContext ctx = { 0 };
      g_autoptr (TlLayer) layer = NULL;
      g_autoptr (TlTensor) in = NULL;
      g_autoptr (TlTensor) out = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
      g_autoptr (TlTensor) grad_out = NULL;
      TlLayerSpec spec = { .kind = TL_LAYER_EMBEDDING };
      TlTensor *table;
      int T, zeros = 0;

      tl_rng_init (&rng, seed);
      spec.vocab_size = rand_between (&rng, 2, 9);
      spec.embed_dim = rand_between (&rng, 1, 5);
      T = rand_between (&rng, 1, 6);
      layer = make_layer (&spec, 1, &T, seed);
      table = layer->params[0].value;
      g_assert_cmpstr (layer->params[0].name, ==, "weight");
      g_assert_cmpint (table->shape[0], ==, spec.vocab_size);
      g_assert_cmpint (table->shape[1], ==, spec.embed_dim);
      for (int e = 0; e < spec.embed_dim; e++)
        g_assert_cmpfloat (table->data[e], ==, 0.0f);

      in = tl_tensor_new_2d (rand_between (&rng, 2, 4), T);
      for (gsize i = 0; i < in->size; i++)
        in->data[i] = (float) tl_rng_below (&rng, spec.vocab_size);
      in->data[0] = 0.0f;

      /* even with a non-zero row 0, padding gives zeros */
      for (int e = 0; e < spec.embed_dim; e++)
        table->data[e] = 1.0f;
      tl_layer_forward (layer, &ctx, in, out);
      g_assert_cmpint (out->ndim, ==, 3);
      g_assert_cmpint (out->shape[1], ==, T);
      g_assert_cmpint (out->shape[2], ==, spec.embed_dim);
      for (gsize i = 0; i < in->size; i++)
        {
          int id = (int) in->data[i];
          for (int e = 0; e < spec.embed_dim; e++)
            g_assert_cmpfloat (out->data[i * spec.embed_dim + e], ==,
                               id == 0 ? 0.0f : table->data[id * spec.embed_dim + e]);
          zeros += id == 0;
        }
      g_assert_cmpint (zeros, >, 0);

      /* row 0 gets no gradient, the ids none either */
      grad_out = tl_tensor_new (out->ndim, out->shape);
      tl_tensor_fill (grad_out, 1.0f);
      tl_layer_zero_grad (layer);
      tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
      for (int e = 0; e < spec.embed_dim; e++)
        g_assert_cmpfloat (layer->params[0].grad->data[e], ==, 0.0f);
      for (gsize i = 0; i < grad_in->size; i++)
        g_assert_cmpfloat (grad_in->data[i], ==, 0.0f);

      check_gradients (layer, &ctx, in, FALSE, seed, 1e-2f);
    }
}

/* mask[b*T + t]: sequence b padded at its start when b is odd, at its end when even */
static float *
make_mask (int batch, int T, TlRng *rng)
{
  float *mask = g_new (float, (gsize) batch * T);

  for (int b = 0; b < batch; b++)
    {
      int valid = rand_between (rng, 1, T);
      if (b == batch - 1)
        valid = MAX (1, T / 2);
      for (int t = 0; t < T; t++)
        mask[b * T + t] = (b % 2 ? t >= T - valid : t < valid) ? 1.0f : 0.0f;
    }
  return mask;
}

static void
test_pool1d (void)
{
  const TlLayerKind kinds[] = { TL_LAYER_GLOBAL_AVG_POOL1D, TL_LAYER_GLOBAL_MAX_POOL1D };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (guint64 seed = 1; seed <= N_SEEDS; seed++)
      for (int masked = 0; masked <= 1; masked++)
        {
          TlRng rng;
          TlContext ctx = { 0 };
          g_autoptr (TlLayer) layer = NULL;
          g_autoptr (TlTensor) in = NULL;
          g_autoptr (TlTensor) out = tl_tensor_new_empty ();
          g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
          g_autoptr (TlTensor) grad_out = NULL;
          g_autofree float *mask = NULL;
          int shape[2], batch;

          tl_rng_init (&rng, seed + 100 * k);
          shape[0] = rand_between (&rng, 2, 6);
          shape[1] = rand_between (&rng, 1, 4);
          batch = rand_between (&rng, 2, 4);
          layer = make_layer (&(TlLayerSpec) { .kind = kinds[k] }, 2, shape, seed);
          g_assert_cmpint (layer->out_ndim, ==, 1);
          g_assert_cmpint (layer->out_shape[0], ==, shape[1]);
          in = random_input (batch, 2, shape, &rng);
          fill_distinct (in, &rng, 0.1f);
          if (masked)
            {
              mask = make_mask (batch, shape[0], &rng);
              ctx.mask = mask;
              ctx.mask_steps = shape[0];
            }

          /* the result matches a direct computation over the real steps */
          tl_layer_forward (layer, &ctx, in, out);
          for (int b = 0; b < batch; b++)
            for (int e = 0; e < shape[1]; e++)
              {
                double acc = kinds[k] == TL_LAYER_GLOBAL_MAX_POOL1D ? -G_MAXDOUBLE : 0.0;
                int n = 0;
                for (int t = 0; t < shape[0]; t++)
                  {
                    float x = in->data[(b * shape[0] + t) * shape[1] + e];
                    if (mask && mask[b * shape[0] + t] == 0.0f)
                      continue;
                    acc = kinds[k] == TL_LAYER_GLOBAL_MAX_POOL1D ? MAX (acc, x) : acc + x;
                    n++;
                  }
                if (kinds[k] == TL_LAYER_GLOBAL_AVG_POOL1D)
                  acc /= n;
                g_assert_cmpfloat (fabs (out->data[b * shape[1] + e] - acc), <, 1e-5);
              }

          /* padded steps get no gradient */
          grad_out = tl_tensor_new (out->ndim, out->shape);
          tl_tensor_fill (grad_out, 1.0f);
          tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
          for (int i = 0; mask && i < batch * shape[0]; i++)
            if (mask[i] == 0.0f)
              for (int e = 0; e < shape[1]; e++)
                g_assert_cmpfloat (grad_in->data[i * shape[1] + e], ==, 0.0f);

          check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
        }
}

/* ---- LSTM and GRU ------------------------------------------------------ */

static void
recurrent_gradients (TlLayerKind kind)
{
  for (guint64 seed = 1; seed <= N_SEEDS; seed++)
    for (int seq = 0; seq <= 1; seq++)
      for (int masked = 0; masked <= 1; masked++)
        {
          TlRng rng;
          TlContext ctx = { 0 };
          g_autoptr (TlLayer) layer = NULL;
          g_autoptr (TlTensor) in = NULL;
          g_autofree float *mask = NULL;
          TlLayerSpec spec = { .kind = kind, .return_sequences = seq };
          int shape[2], batch;

          tl_rng_init (&rng, seed * 31 + kind);
          shape[0] = rand_between (&rng, 2, 6);
          shape[1] = rand_between (&rng, 1, 4);
          spec.units = rand_between (&rng, 1, 6);
          batch = rand_between (&rng, 2, 4);
          layer = make_layer (&spec, 2, shape, seed);
          /* weights larger than the default make every gate matter */
          for (int p = 0; p < layer->n_params; p++)
            fill_normal (layer->params[p].value, &rng, 0.6f);
          in = random_input (batch, 2, shape, &rng);
          if (masked)
            {
              mask = make_mask (batch, shape[0], &rng);
              ctx.mask = mask;
              ctx.mask_steps = shape[0];
            }
          g_test_message ("%s T %d E %d H %d batch %d%s%s", tl_layer_kind_name (kind), shape[0],
                          shape[1], spec.units, batch, seq ? " sequences" : "", masked ? " masked" : "");
          check_gradients (layer, &ctx, in, TRUE, seed, 1e-2f);
        }
}

/* Padding: a padded step leaves the state as it was, so a sequence padded at
 * either end gives what its real steps alone give. */
static void
recurrent_mask (TlLayerKind kind)
{
  const int T = 7, E = 3, H = 5, B = 4;
  TlRng rng;
  TlContext ctx = { 0 }, plain = { 0 };
  TlLayerSpec spec = { .kind = kind, .units = H, .return_sequences = TRUE };
  g_autoptr (TlLayer) layer = make_layer (&spec, 2, (int[]) { T, E }, 11);
  g_autoptr (TlTensor) in = NULL;
  g_autoptr (TlTensor) out = tl_tensor_new_empty ();
  g_autoptr (TlTensor) grad_out = NULL;
  g_autoptr (TlTensor) grad_in = tl_tensor_new_empty ();
  g_autofree float *mask = NULL;
  const int valid[] = { 3, 4, 7, 1 };

  tl_rng_init (&rng, 12);
  in = random_input (B, 2, (int[]) { T, E }, &rng);
  mask = g_new (float, B * T);
  for (int b = 0; b < B; b++)
    for (int t = 0; t < T; t++)
      mask[b * T + t] = (b % 2 ? t >= T - valid[b] : t < valid[b]) ? 1.0f : 0.0f;
  ctx.mask = mask;
  ctx.mask_steps = T;
  ctx.training = TRUE;
  tl_layer_forward (layer, &ctx, in, out);

  for (int b = 0; b < B; b++)
    {
      const int first = b % 2 ? T - valid[b] : 0;
      g_autoptr (TlLayer) alone = make_layer (&spec, 2, (int[]) { valid[b], E }, 11);
      g_autoptr (TlTensor) sub = tl_tensor_new_3d (1, valid[b], E);
      g_autoptr (TlTensor) sub_out = tl_tensor_new_empty ();

      for (int p = 0; p < layer->n_params; p++)
        tl_tensor_copy_into (alone->params[p].value, layer->params[p].value);
      memcpy (sub->data, in->data + ((gsize) b * T + first) * E, sizeof (float) * valid[b] * E);
      tl_layer_forward (alone, &plain, sub, sub_out);

      for (int t = 0; t < T; t++)
        {
          const float *h = out->data + ((gsize) b * T + t) * H;
          int k = t - first;     /* index within the real steps */
          for (int j = 0; j < H; j++)
            {
              float expect;
              if (k < 0)
                expect = 0.0f;                                        /* leading padding: still h0 */
              else if (k >= valid[b])
                expect = sub_out->data[(valid[b] - 1) * H + j];      /* trailing padding: last h */
              else
                expect = sub_out->data[k * H + j];
              g_assert_cmpfloat (fabsf (h[j] - expect), <, 1e-5f);
            }
        }
    }

  /* padded steps receive no gradient */
  grad_out = tl_tensor_new (out->ndim, out->shape);
  fill_normal (grad_out, &rng, 1.0f);
  tl_layer_backward (layer, &ctx, in, out, grad_out, grad_in);
  for (int i = 0; i < B * T; i++)
    for (int e = 0; e < E; e++)
      {
        if (mask[i] == 0.0f)
          g_assert_cmpfloat (grad_in->data[i * E + e], ==, 0.0f);
        else
          g_assert_cmpfloat (grad_in->data[i * E + e], !=, 0.0f);
      }
}

static void
test_lstm_gradients (void)
{
  recurrent_gradients (TL_LAYER_LSTM);
}

static void
test_gru_gradients (void)
{
  recurrent_gradients (TL_LAYER_GRU);
}

static void
test_lstm_mask (void)
{
  recurrent_mask (TL_LAYER_LSTM);
}

static void
test_gru_mask (void)
{
  recurrent_mask (TL_LAYER_GRU);
}

static void
test_recurrent_params (void)
{
  const char *names[] = { "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0" };
  const TlLayerKind kinds[] = { TL_LAYER_LSTM, TL_LAYER_GRU };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      const int gates = kinds[k] == TL_LAYER_LSTM ? 4 : 3, H = 16, E = 5;
      g_autoptr (TlLayer) layer = make_layer (&(TlLayerSpec) { .kind = kinds[k], .units = H },
                                              2, (int[]) { 9, E }, 1);
      const float bound = 1.0f / sqrtf (H);

      g_assert_cmpint (layer->n_params, ==, 4);
      for (int p = 0; p < 4; p++)
        {
          TlTensor *v = layer->params[p].value;
          g_assert_cmpstr (layer->params[p].name, ==, names[p]);
          g_assert_cmpint (v->shape[0], ==, gates * H);
          if (p < 2)
            g_assert_cmpint (v->shape[1], ==, p == 0 ? E : H);
          for (gsize i = 0; i < v->size; i++)
            g_assert_cmpfloat (fabsf (v->data[i]), <=, bound);
        }
    }
}

/* Outputs of torch.nn.LSTM / torch.nn.GRU (PyTorch 1.13, batch_first) for
 * 5 units, input [2, 4, 2], parameters and input filled with 0.5 sin(0.37 i + s),
 * s = the parameter's index, 7 for the input. */
static const float torch_lstm_out[] = {
  0.114239f, 0.203059f, 0.206414f, 0.154045f, 0.091574f, 0.233510f, 0.247478f, 0.202537f,
  0.247617f, 0.144676f, 0.258084f, 0.230024f, 0.143580f, 0.269396f, 0.169216f, 0.219810f,
  0.157723f, 0.088809f, 0.244677f, 0.164410f, -0.167605f, -0.010459f, 0.099248f, 0.120486f,
  0.110251f, -0.249057f, -0.098730f, 0.112449f, 0.149006f, 0.131879f, -0.249705f, -0.131387f,
  0.136573f, 0.169149f, 0.150617f, -0.107385f, -0.059616f, 0.180369f, 0.203066f, 0.169965f,
};
static const float torch_gru_out[] = {
  0.164468f, 0.329144f, 0.325677f, 0.214145f, 0.110304f, 0.545519f, 0.451495f, 0.258383f,
  0.418712f, 0.201646f, 0.660174f, 0.409679f, 0.150452f, 0.557117f, 0.398010f, 0.561847f,
  0.178895f, 0.058312f, 0.666393f, 0.599368f, -0.278342f, -0.131236f, 0.102145f, 0.327142f,
  0.439484f, -0.371073f, -0.310642f, 0.075417f, 0.564657f, 0.613486f, -0.317682f, -0.389712f,
  0.092415f, 0.660930f, 0.640524f, -0.061025f, -0.321534f, 0.170731f, 0.674498f, 0.559268f,
};

static void
fill_sine (TlTensor *t, float s)
{
  for (gsize i = 0; i < t->size; i++)
    t->data[i] = sinf ((float) i * 0.37f + s) * 0.5f;
}

static void
test_recurrent_matches_torch (void)
{
  const TlLayerKind kinds[] = { TL_LAYER_LSTM, TL_LAYER_GRU };
  const float *expected[] = { torch_lstm_out, torch_gru_out };

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    for (int seq = 0; seq <= 1; seq++)
      {
        TlLayerSpec spec = { .kind = kinds[k], .units = 5, .return_sequences = seq };
        g_autoptr (TlLayer) layer = make_layer (&spec, 2, (int[]) { 4, 2 }, 1);
        g_autoptr (TlTensor) in = tl_tensor_new_3d (2, 4, 2);
        g_autoptr (TlTensor) out = tl_tensor_new_empty ();
        TlContext ctx = { 0 };

        for (int p = 0; p < 4; p++)
          fill_sine (layer->params[p].value, (float) p);
        fill_sine (in, 7.0f);
        tl_layer_forward (layer, &ctx, in, out);
        for (int b = 0; b < 2; b++)
          for (int t = seq ? 0 : 3; t < 4; t++)
            for (int j = 0; j < 5; j++)
              {
                float got = seq ? out->data[(b * 4 + t) * 5 + j] : out->data[b * 5 + j];
                g_assert_cmpfloat (fabsf (got - expected[k][(b * 4 + t) * 5 + j]), <, 2e-6f);
              }
      }
}

void
add_sequence_layer_tests (void)
{
  g_test_add_func ("/layers/embedding", test_embedding);
  g_test_add_func ("/layers/pool1d", test_pool1d);
  g_test_add_func ("/layers/lstm/gradients", test_lstm_gradients);
  g_test_add_func ("/layers/lstm/mask", test_lstm_mask);
  g_test_add_func ("/layers/gru/gradients", test_gru_gradients);
  g_test_add_func ("/layers/gru/mask", test_gru_mask);
  g_test_add_func ("/layers/recurrent/params", test_recurrent_params);
  g_test_add_func ("/layers/recurrent/matches-torch", test_recurrent_matches_torch);
}
