/* history_reader.h — reads a history.blh file back: zstd decompression, the binary
 * decoder (history_binary.h), and the JSONL expansion behind `brokerlab history`.
 * Every failure (missing file, not a history, corrupt or truncated stream) is reported
 * as text naming the file, never asserted: the input is a user's file. */
#ifndef BL_HISTORY_READER_H
#define BL_HISTORY_READER_H

#include <stdio.h>

#include "history.h"

#define HIST_READER_ERROR_LEN 512

/* Calls `visit` for every stored record (a batch once, its ids valid during the call),
 * in history order. Returns 0, or -1 with the reason in error. */
int hist_read(const char *path, hist_sink_fn visit, void *ctx, char error[HIST_READER_ERROR_LEN]);
/* Writes the history at `path` as JSONL lines to out. Returns 0, or -1 with error set. */
int hist_read_jsonl(const char *path, FILE *out, char error[HIST_READER_ERROR_LEN]);

#endif
