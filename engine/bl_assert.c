/* bl_assert.c — the reporter behind BL_ASSERT: message, location, exit code 3. */
#include "bl_assert.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

noreturn void bl_panic(const char *file, int line, const char *expr, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "brokerlab: internal error: invariant violated at %s:%d: %s", file, line, expr);
    if (fmt != NULL) {
        va_list args;
        va_start(args, fmt);
        fputs(": ", stderr);
        vfprintf(stderr, fmt, args);
        va_end(args);
    }
    fputc('\n', stderr);
    exit(BL_EXIT_INTERNAL);
}
