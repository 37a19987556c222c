#pragma once

#include <glib.h>

/* File helpers shared by the test programs. */

/* Writes text to path; the test fails if that is not possible. */
void tl_test_write_text  (const char *path, const char *text);
/* Removes a folder and everything below it (links are removed, not followed). */
void tl_test_remove_tree (const char *path);
/* data/experiments/fashion-split.json of the sources (TL_SOURCE_DIR), or NULL
 * with the test skipped when Fashion-MNIST is not installed. */
char *tl_test_fashion_split (void);
