#define G_LOG_DOMAIN "tl-fuzz"

#include "config.h"

#include "fuzz-common.h"
#include "tl-csv.h"
#include "tl-error.h"
#include "tl-import.h"

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data, size_t size)
{
  g_autofree char *path = NULL;
  g_autoptr (TlCsvReader) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (TlImportSettings) settings = NULL;
  g_autoptr (TlImport) import = NULL;
  g_autoptr (GError) import_error = NULL;
  const TlCsvRecord *record;
  int last_line = 0;

  tl_fuzz_init ();
  path = tl_fuzz_write ("input.csv", data, size);

  /* The reader alone, record by record. */
  reader = tl_csv_reader_open (path, 0, &error);
  tl_fuzz_check_error (reader != NULL, error);
  while (reader != NULL && (record = tl_csv_reader_next (reader, &error)) != NULL)
    {
      if (record->line < last_line || record->fields[record->n_fields] != NULL)
        abort ();
      for (guint i = 0; i < record->n_fields; i++)
        if (!g_utf8_validate_len (record->fields[i], record->lengths[i], NULL))
          abort ();
      last_line = record->line;
    }
  if (error != NULL && error->message[0] == '\0')
    abort ();

  /* The whole import: column types, labels, missing values, split. */
  settings = tl_import_settings_new ();
  settings->format = TL_SOURCE_CSV;
  settings->max_len = 16;
  settings->vocab_size = 64;
  import = tl_import_run (path, settings, &import_error);
  tl_fuzz_check_error (import != NULL, import_error);
  if (import != NULL && import->dataset->n != import->report->n_rows)
    abort ();
  return 0;
}
