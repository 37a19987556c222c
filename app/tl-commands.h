#pragma once

#include <glib.h>

#include "tl-cli-errors.h"

G_BEGIN_DECLS

/* Exit statuses of every sub-command. */
enum {
  TL_EXIT_OK = 0,
  TL_EXIT_FAILURE = 1,
  TL_EXIT_USAGE = 2,
};

typedef struct {
  const char *name;
  const char *summary;                    /* one line for `transfer-lab --help` */
  int (*run) (int argc, char **argv);     /* argv[0] is the sub-command's name */
} TlCommand;

int tl_cmd_data (int argc, char **argv);
int tl_cmd_train (int argc, char **argv);
int tl_cmd_evaluate (int argc, char **argv);
int tl_cmd_predict (int argc, char **argv);
int tl_cmd_inspect (int argc, char **argv);
int tl_cmd_export (int argc, char **argv);
int tl_cmd_import (int argc, char **argv);
int tl_cmd_run (int argc, char **argv);
int tl_cmd_history (int argc, char **argv);
int tl_cmd_compare (int argc, char **argv);
int tl_cmd_assess (int argc, char **argv);
int tl_cmd_explain (int argc, char **argv);


G_END_DECLS
