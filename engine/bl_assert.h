/* bl_assert.h — always-on invariant checks.
 *
 * A violated invariant is a programmer error: it prints the expression, the file and
 * line, an optional formatted explanation, and exits with code 3 (internal error), the
 * CLI's contract. Asserts are never compiled out: a wrong number in a report is worse
 * than a crash with a message. */
#ifndef BL_ASSERT_H
#define BL_ASSERT_H

#ifdef __cplusplus
#define BL_NORETURN [[noreturn]]
#else
#include <stdnoreturn.h>
#define BL_NORETURN noreturn
#endif

#define BL_EXIT_OK          0
#define BL_EXIT_EXPECTATION 1
#define BL_EXIT_BAD_INPUT   2
#define BL_EXIT_INTERNAL    3
#define BL_EXIT_INTERRUPTED 130 /* SIGINT or SIGTERM: what shells report for Ctrl-C */

BL_NORETURN void bl_panic(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define BL_ASSERT(c)       ((c) ? (void)0 : bl_panic(__FILE__, __LINE__, #c, NULL))
#define BL_ASSERTF(c, ...) ((c) ? (void)0 : bl_panic(__FILE__, __LINE__, #c, __VA_ARGS__))
/* Documents a condition where both outcomes are legitimate. */
#define BL_MAYBE(c)        ((void)(0 && (c)))

#endif
