/* test_util.h — what the unit tests share: time and size constants in the units the
 * code uses (µs, bytes), and a check that a violated invariant crashes with its message
 * (include it after cmocka.h). */
#ifndef BL_TEST_UTIL_H
#define BL_TEST_UTIL_H

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/bl_assert.h"
#include "../engine/time.h"

#define MS  TIME_US_PER_MS
#define S   TIME_US_PER_S
#define KIB 1024ULL
#define MIB (1024ULL * KIB)
#define GIB (1024ULL * MIB)

/* Runs fn in a child process, which must crash as a violated invariant does (exit code
 * BL_EXIT_INTERNAL) with `needle` in its message on stderr. Include after cmocka.h. */
static inline void test_expect_crash(void (*fn)(void), const char *needle)
{
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        dup2(pipe_fds[1], STDERR_FILENO);
        fn();
        _exit(0); /* no crash: the parent sees exit code 0 */
    }
    close(pipe_fds[1]);
    char message[1024];
    size_t length = 0;
    ssize_t got;
    while (length < sizeof message - 1 &&
           (got = read(pipe_fds[0], message + length, sizeof message - 1 - length)) > 0) {
        length += (size_t)got;
    }
    message[length] = '\0';
    close(pipe_fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), BL_EXIT_INTERNAL);
    if (strstr(message, needle) == NULL) {
        fail_msg("crash message without \"%s\": %s", needle, message);
    }
}

#endif
