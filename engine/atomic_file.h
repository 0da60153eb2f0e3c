/* atomic_file.h — whole-file writes that a reader never sees torn: results.json,
 * sweep.json, JUnit XML and reports are written to a temporary file beside their path
 * and renamed over it once complete (rename(2) is atomic within a filesystem), so an
 * interrupted write leaves the previous file intact. */
#ifndef BL_ATOMIC_FILE_H
#define BL_ATOMIC_FILE_H

#include <stddef.h>

/* Writes `length` bytes of `data` to `path` atomically. Returns 0, or -1 with errno set
 * (the temporary file removed, the previous file untouched). */
int atomic_file_write(const char *path, const void *data, size_t length);

#endif
