/* history_output.h — a history file's byte sink: SHA-256, optional zstd compression and
 * file writes on a thread of their own, so hashing, compressing and the kernel's copy
 * overlap the simulation instead of adding to it. The digest is over the bytes exactly
 * as submitted (before compression), in order: the same as if hashed inline. */
#ifndef BL_HISTORY_OUTPUT_H
#define BL_HISTORY_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HIST_OUTPUT_BUFFER_BYTES (1u << 20)
#define HIST_OUTPUT_BUFFERS      4 /* in flight between the simulation and the writer */
#define HIST_OUTPUT_ZSTD_LEVEL   3 /* zstd's default: ~10x on the history, hundreds of MB/s */

typedef struct hist_output hist_output;

/* Starts the writer. `out` may be NULL (hash only); compress: write a zstd stream. */
hist_output *hist_output_open(FILE *out, bool compress);
/* The buffer to fill next, HIST_OUTPUT_BUFFER_BYTES long. */
char *hist_output_buffer(hist_output *output);
/* Hands the current buffer (its first `length` bytes) to the writer and returns the
 * next one to fill; waits if every buffer is still being written. */
char *hist_output_submit(hist_output *output, size_t length);
/* Writes what was submitted, stops the writer and frees it. Sets the SHA-256 of every
 * submitted byte and the bytes that reached the file. Returns 0, or the errno of the
 * first failed write (the writer stops writing then, and keeps hashing). */
int hist_output_close(hist_output *output, unsigned char digest[32], uint64_t *file_bytes);

#endif
