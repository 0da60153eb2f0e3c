/* history_output.h — the history's byte sink: SHA-256 and file writes on a thread of
 * their own, so hashing and the kernel's copy of gigabytes of JSONL overlap the
 * simulation instead of adding to it. The bytes and their order are exactly those
 * submitted: the digest and the file are the same as if written inline. */
#ifndef BL_HISTORY_OUTPUT_H
#define BL_HISTORY_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#define HIST_OUTPUT_BUFFER_BYTES (1u << 20)
#define HIST_OUTPUT_BUFFERS 4 /* in flight between the simulation and the writer */

typedef struct hist_output hist_output;

/* Starts the writer. `out` may be NULL (hash only). */
hist_output *hist_output_open(FILE *out);
/* The buffer to fill next, HIST_OUTPUT_BUFFER_BYTES long. */
char *hist_output_buffer(hist_output *output);
/* Hands the current buffer (its first `length` bytes) to the writer and returns the
 * next one to fill; waits if every buffer is still being written. */
char *hist_output_submit(hist_output *output, size_t length);
/* Writes what was submitted, stops the writer, returns the SHA-256 of every byte. */
void hist_output_close(hist_output *output, unsigned char digest[32]);

#endif
