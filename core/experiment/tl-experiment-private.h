#pragma once

#include "tl-experiment.h"

G_BEGIN_DECLS

void     tl_architecture_spec_clear (TlArchitectureSpec *a);
/* Replaces exp's contents with other's and frees other's shell. */
void     tl_experiment_take         (TlExperiment *exp, TlExperiment *other);
/* A relative name without "..": lexical check only (see tl_output_path). */
gboolean tl_output_name_is_safe     (const char *name, GError **error);

/* Names as written in files, NULL-terminated, indexed by the enums. */
extern const char *const tl_experiment_format_names[];
extern const char *const tl_experiment_export_names[];
extern const char *const tl_experiment_plot_names[];

G_END_DECLS
