#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TL_ERROR (tl_error_quark ())

typedef enum {
  TL_ERROR_FAILED,
  TL_ERROR_INVALID_ARGUMENT,   /* a shape, size or option that cannot work */
  TL_ERROR_PARSE,              /* a file's content is not what its format says */
  TL_ERROR_IO,
  TL_ERROR_UNSUPPORTED,
  TL_ERROR_CANCELLED,
  TL_ERROR_DIVERGED,           /* NaN or Inf during training */
  TL_ERROR_TOO_LARGE,          /* a size over the limits, refused before allocating */
} TlError;

GQuark tl_error_quark (void);

G_END_DECLS
