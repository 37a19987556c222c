#define G_LOG_DOMAIN "tl-sample-explanation"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "tl-chart-heatmap.h"
#include "tl-explain.h"
#include "tl-explanation-panel.h"
#include "tl-ngram.h"
#include "tl-ngram-word-scores.h"
#include "tl-sample-explanation.h"
#include "tl-tokenizer.h"

#define MAX_WORDS_SHOWN 300
/* words with less than this share of the strongest word's score are shown plain */
#define SHOWN_SHARE 0.1

typedef struct {
  int    target;
  float  probability;
  float *heat;       /* images: [height, width] */
  int    n_slots;    /* text: one score per slot of the input */
  float *scores;
  char  *markup;     /* text: the words, highlighted */
  char  *summary;    /* text: the strongest terms each way */
} Result;

static void
result_free (Result *r)
{
  g_free (r->heat);
  g_free (r->scores);
  g_free (r->markup);
  g_free (r->summary);
  g_free (r);
}

struct _TlSampleExplanation
{
  TlExplanationPanel parent_instance;

  TlDataKind    kind;
  float        *x;            /* an image explained */
  int           channels, height, width;
  char        **class_names;

  GtkWidget    *area;
  GtkLabel     *words_label;
};

G_DEFINE_FINAL_TYPE (TlSampleExplanation, tl_sample_explanation, TL_TYPE_EXPLANATION_PANEL)

static const Result *
result_of (TlSampleExplanation *self)
{
  return tl_explanation_panel_get_result (TL_EXPLANATION_PANEL (self));
}

typedef struct {
  TlModel  *model;
  TlDataKind kind;
  float    *x;
  int       patch, stride;
  int       n_slots;      /* text: slots of the input (terms of a bag, tokens of a sequence) */
  char    **terms;        /* text: the term or token behind each slot, "" for an empty one */
  gboolean  bag;
  char     *text;         /* the sample's text, for a bag: shown in its own word order */
  TlNgramSettings ngrams; /* a bag's: its word n-grams and character n-grams within words */
} Job;

static void
job_free (Job *job)
{
  tl_model_free (job->model);
  g_free (job->x);
  g_strfreev (job->terms);
  g_free (job->text);
  g_free (job);
}

/* Each word with a background by its score: red raises the class, blue lowers it. */
static char *
highlight (char **words, const double *scores, int n)
{
  g_autoptr (GString) markup = g_string_new (NULL);
  double most = 0.0;

  for (int i = 0; i < n; i++)
    most = MAX (most, fabs (scores[i]));
  for (int i = 0; i < MIN (n, MAX_WORDS_SHOWN); i++)
    {
      g_autofree char *escaped = g_markup_escape_text (words[i], -1);
      double share = most > 0.0 ? fabs (scores[i]) / most : 0.0;

      if (i > 0)
        g_string_append_c (markup, ' ');
      if (share < SHOWN_SHARE)
        g_string_append (markup, escaped);
      else
        g_string_append_printf (markup, "<span background=\"%s\" bgalpha=\"%d%%\">%s</span>",
                                scores[i] > 0 ? "#e01b24" : "#1c71d8", (int) lround (15 + 60 * share), escaped);
    }
  if (n > MAX_WORDS_SHOWN)
    g_string_append (markup, " …");
  return g_strdup (markup->str);
}

typedef struct {
  const char *word;
  double      score;
} Scored;

static int
by_score (const void *a, const void *b)
{
  double x = ((const Scored *) a)->score, y = ((const Scored *) b)->score;
  return (x < y) - (x > y);
}

/* "Most for the class: a, b, c. Most against it: d, e." The words as highlighted:
 * each once, by its strongest place in the text, and only those coloured there. */
static char *
strongest (char **words, const double *scores, int n)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree Scored *all = g_new (Scored, MAX (n, 1));
  g_autoptr (GString) pro = g_string_new (NULL), con = g_string_new (NULL);
  double most = 0.0;
  int m = 0;

  for (int i = 0; i < n; i++)
    most = MAX (most, fabs (scores[i]));
  for (int i = 0; i < n; i++)
    {
      gpointer at;

      if (most == 0.0 || fabs (scores[i]) < SHOWN_SHARE * most)
        continue;
      if (!g_hash_table_lookup_extended (seen, words[i], NULL, &at))
        {
          g_hash_table_insert (seen, words[i], GINT_TO_POINTER (m));
          all[m++] = (Scored) { words[i], scores[i] };
        }
      else if (fabs (scores[i]) > fabs (all[GPOINTER_TO_INT (at)].score))
        all[GPOINTER_TO_INT (at)].score = scores[i];
    }
  qsort (all, m, sizeof (Scored), by_score);
  for (int k = 0; k < m && k < 4 && all[k].score > 0; k++)
    g_string_append_printf (pro, "%s“%s”", pro->len > 0 ? ", " : "", all[k].word);
  for (int k = m - 1; k >= 0 && k >= m - 3 && all[k].score < 0; k--)
    g_string_append_printf (con, "%s“%s”", con->len > 0 ? ", " : "", all[k].word);
  if (pro->len == 0 && con->len == 0)
    return g_strdup (_("No word changes the prediction on its own."));
  return g_strdup_printf (_("Most for the class: %s. Most against it: %s."), pro->len > 0 ? pro->str : "—",
                          con->len > 0 ? con->str : "—");
}

static void
explain_text (Job *job, Result *r, GError **error)
{
  int n = 0;

  r->scores = tl_explain_occlusion_terms (job->model, job->x, r->target, &n, error);
  if (r->scores == NULL)
    return;
  r->n_slots = MIN (n, job->n_slots);
  if (job->bag && job->text != NULL)
    {
      g_auto (GStrv) words = tl_tokenize_strv (job->text);
      int n_words = (int) g_strv_length (words);
      g_autofree double *s = tl_ngram_word_scores (&job->ngrams, (const char *const *) job->terms, r->scores,
                                                   r->n_slots, (const char *const *) words, n_words);

      /* pieces of words ("#<goo") count for the words that hold them, as in the highlighting */
      r->markup = highlight (words, s, n_words);
      r->summary = strongest (words, s, n_words);
    }
  else
    {
      /* a sequence: its tokens in the order the model read them */
      g_autoptr (GPtrArray) words = g_ptr_array_new ();
      g_autoptr (GArray) s = g_array_new (FALSE, FALSE, sizeof (double));

      for (int k = 0; k < r->n_slots; k++)
        if (job->terms[k][0] != '\0')
          {
            double v = r->scores[k];
            g_ptr_array_add (words, job->terms[k]);
            g_array_append_val (s, v);
          }
      r->markup = highlight ((char **) words->pdata, (const double *) (void *) s->data, (int) words->len);
      r->summary = strongest ((char **) words->pdata, (const double *) (void *) s->data, (int) words->len);
    }
}

static gpointer
explain (gpointer data, GError **error)
{
  Job *job = data;
  GError *failure = NULL;
  g_autofree float *probs = g_new (float, tl_model_n_outputs (job->model));
  Result *r = g_new0 (Result, 1);

  r->target = tl_explain_predict (job->model, job->x, probs);
  r->probability = probs[r->target];
  if (job->kind == TL_DATA_IMAGE)
    {
      TlTensor *map = tl_explain_occlusion_image (job->model, job->x, r->target, job->patch, job->stride, &failure);
      if (map != NULL)
        {
          r->heat = g_memdup2 (map->data, sizeof (float) * map->size);
          tl_tensor_free (map);
        }
    }
  else
    explain_text (job, r, &failure);
  if (failure != NULL)
    {
      result_free (r);
      g_propagate_error (error, failure);
      return NULL;
    }
  return r;
}

static void
draw (GtkDrawingArea *area, cairo_t *cr, int width, int height, gpointer data)
{
  TlSampleExplanation *self = data;
  const Result *r = result_of (self);
  g_autofree char *title = NULL;
  TlHeatmap map;

  if (r == NULL || r->heat == NULL)
    return;
  title = g_strdup_printf (_("%s: %.0f%%"), self->class_names[r->target], 100.0 * r->probability);
  map = (TlHeatmap) { self->x, self->channels, self->height, self->width, r->heat, title };
  tl_heatmap_draw (&map, cr, width, height);
}

static void
explained (TlExplanationPanel *panel, gpointer result)
{
  TlSampleExplanation *self = TL_SAMPLE_EXPLANATION (panel);
  const Result *r = result;

  if (r->markup != NULL)
    {
      g_autofree char *head = g_strdup_printf (_("%s: %.0f%%"), self->class_names[r->target], 100.0 * r->probability);
      g_autofree char *escaped = g_markup_escape_text (head, -1);
      g_autofree char *all = g_strdup_printf ("<b>%s</b>\n%s", escaped, r->markup);

      gtk_label_set_markup (self->words_label, all);
      gtk_widget_set_visible (GTK_WIDGET (self->words_label), TRUE);
      tl_explanation_panel_set_status (panel, r->summary, FALSE);
    }
  else
    tl_explanation_panel_set_status (panel, _("Red regions raise the predicted class's probability: hiding them "
                                               "lowers it."), FALSE);
  gtk_widget_queue_draw (self->area);
}

static void
clear (TlSampleExplanation *self)
{
  tl_explanation_panel_reset (TL_EXPLANATION_PANEL (self));
  g_clear_pointer (&self->x, g_free);
  g_clear_pointer (&self->class_names, g_strfreev);
  gtk_label_set_text (self->words_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->words_label), FALSE);
  gtk_widget_set_visible (self->area, FALSE);
}

/* The term or token behind each slot of a text input, "" where a slot is empty or unknown. */
static char **
slot_terms (const TlPreprocess *pre, const float *x, int n_slots, gboolean bag)
{
  char **terms = g_new0 (char *, n_slots + 1);

  for (int k = 0; k < n_slots; k++)
    {
      int id = (int) x[k];
      const char *t = NULL;

      if (id >= 1)
        t = bag ? tl_ngram_term (pre->ngrams, id) : tl_vocab_token (pre->vocab, id);
      terms[k] = g_strdup (t != NULL ? t : "");
    }
  return terms;
}

void
tl_sample_explanation_set_sample (TlSampleExplanation *self, const TlModel *model, const TlPreprocess *pre,
                                  TlDataKind kind, const float *x, const char *text,
                                  const char *const *class_names)
{
  TlExplanationPanel *panel = TL_EXPLANATION_PANEL (self);
  Job *job;
  gsize size;

  g_return_if_fail (TL_IS_SAMPLE_EXPLANATION (self));

  clear (self);
  if (model == NULL || x == NULL || class_names == NULL)
    {
      tl_explanation_panel_set_status (panel, NULL, FALSE);
      return;
    }
  size = (gsize) model->in_shape[0];
  for (int d = 1; d < model->in_ndim; d++)
    size *= (gsize) model->in_shape[d];
  job = g_new0 (Job, 1);
  job->kind = kind;
  job->x = g_memdup2 (x, sizeof (float) * size);
  if (kind == TL_DATA_IMAGE && model->in_ndim == 3)
    {
      self->channels = model->in_shape[0];
      self->height = model->in_shape[1];
      self->width = model->in_shape[2];
      self->x = g_memdup2 (x, sizeof (float) * size);
      /* squares of about a seventh of the side, moved by half a square: 4 and 2 for 28 x 28 */
      job->patch = MAX (2, MIN (self->height, self->width) / 7);
      job->stride = MAX (1, job->patch / 2);
      gtk_widget_set_visible (self->area, TRUE);
    }
  else if (kind == TL_DATA_TEXT && pre != NULL && (pre->ngrams != NULL || pre->vocab != NULL))
    {
      job->bag = pre->ngrams != NULL;
      job->n_slots = job->bag ? model->in_shape[1] : model->in_shape[0];
      job->terms = slot_terms (pre, x, job->n_slots, job->bag);
      job->text = g_strdup (text);
      if (job->bag)
        job->ngrams = pre->ngrams->settings;
    }
  else
    {
      job_free (job);
      tl_explanation_panel_fail (panel, _("Explanations are drawn for images, texts and recordings."));
      return;
    }
  self->kind = kind;
  self->class_names = g_strdupv ((char **) class_names);
  job->model = tl_model_copy (model);
  tl_explanation_panel_start (panel, job, (GDestroyNotify) job_free, _("Finding what the prediction depends on…"));
}

int
tl_sample_explanation_get_class (TlSampleExplanation *self)
{
  g_return_val_if_fail (TL_IS_SAMPLE_EXPLANATION (self), -1);
  return result_of (self) != NULL ? result_of (self)->target : -1;
}

const char *
tl_sample_explanation_get_markup (TlSampleExplanation *self)
{
  g_return_val_if_fail (TL_IS_SAMPLE_EXPLANATION (self), NULL);
  return result_of (self) != NULL ? result_of (self)->markup : NULL;
}

const char *
tl_sample_explanation_get_summary (TlSampleExplanation *self)
{
  g_return_val_if_fail (TL_IS_SAMPLE_EXPLANATION (self), NULL);
  return result_of (self) != NULL ? result_of (self)->summary : NULL;
}

void
tl_sample_explanation_get_peak (TlSampleExplanation *self, int *row, int *column)
{
  const Result *r;
  gsize best = 0;

  g_return_if_fail (TL_IS_SAMPLE_EXPLANATION (self));
  *row = *column = -1;
  if ((r = result_of (self)) == NULL || r->heat == NULL)
    return;
  for (gsize i = 1; i < (gsize) self->height * self->width; i++)
    if (r->heat[i] > r->heat[best])
      best = i;
  *row = (int) (best / self->width);
  *column = (int) (best % self->width);
}

static void
tl_sample_explanation_dispose (GObject *object)
{
  TlSampleExplanation *self = TL_SAMPLE_EXPLANATION (object);

  g_clear_pointer (&self->x, g_free);
  g_clear_pointer (&self->class_names, g_strfreev);
  G_OBJECT_CLASS (tl_sample_explanation_parent_class)->dispose (object);
}

static void
tl_sample_explanation_class_init (TlSampleExplanationClass *klass)
{
  TlExplanationPanelClass *panel_class = TL_EXPLANATION_PANEL_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = tl_sample_explanation_dispose;
  panel_class->explain = explain;
  panel_class->free_result = (GDestroyNotify) result_free;
  panel_class->explained = explained;
}

static void
tl_sample_explanation_init (TlSampleExplanation *self)
{
  self->area = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self->area), 150);
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (self->area), 260);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->area), draw, self, NULL);
  gtk_widget_set_hexpand (self->area, TRUE);
  gtk_widget_set_visible (self->area, FALSE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("The image with the regions the prediction depends on"), -1);
  tl_explanation_panel_add (TL_EXPLANATION_PANEL (self), self->area);
  self->words_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->words_label, TRUE);
  gtk_label_set_wrap_mode (self->words_label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (self->words_label, 0);
  gtk_label_set_lines (self->words_label, 12);
  gtk_label_set_ellipsize (self->words_label, PANGO_ELLIPSIZE_END);
  gtk_widget_set_visible (GTK_WIDGET (self->words_label), FALSE);
  tl_explanation_panel_add (TL_EXPLANATION_PANEL (self), GTK_WIDGET (self->words_label));
}

GtkWidget *
tl_sample_explanation_new (void)
{
  return g_object_new (TL_TYPE_SAMPLE_EXPLANATION, NULL);
}
