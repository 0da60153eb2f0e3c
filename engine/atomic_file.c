/* atomic_file.c — temporary file + fsync-free rename (see atomic_file.h). */
#include "atomic_file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "bl_assert.h"

int atomic_file_write(const char *path, const void *data, size_t length)
{
    BL_ASSERT(path != NULL && (data != NULL || length == 0));
    char temporary[4096];
    int n = snprintf(temporary, sizeof temporary, "%s.tmp.%ld", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof temporary) {
        errno = ENAMETOOLONG;
        return -1;
    }
    FILE *file = fopen(temporary, "w");
    if (file == NULL) return -1;
    bool written = fwrite(data, 1, length, file) == length && fflush(file) == 0;
    int saved = errno;
    if (fclose(file) != 0 && written) {
        saved = errno;
        written = false;
    }
    if (!written || rename(temporary, path) != 0) {
        if (written) saved = errno;
        remove(temporary);
        errno = saved != 0 ? saved : EIO;
        return -1;
    }
    return 0;
}
