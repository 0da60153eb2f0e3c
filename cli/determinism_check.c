/* determinism_check.c — two runs of one seed in separate processes, their histories
 * compared record by record (see determinism_check.h). */
#include "determinism_check.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../engine/bl_assert.h"

#define PATH_TEXT_LEN  4096
#define LINE_MAX_BYTES (1u << 20) /* a JSONL record: a batch's ids make long lines */

/* One child `brokerlab run ... --history jsonl --out out_dir`; returns its exit code,
 * or -1 if it could not be started or died of a signal. */
static int run_child(const char *scenario_path, bool builtin, uint64_t seed, const char *out_dir)
{
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL) _exit(127);
        const char *args[] = {"brokerlab", "run",     builtin ? "--default" : scenario_path,
                              "--seed",    seed_text, "--history",
                              "jsonl",     "--out",   out_dir,
                              NULL};
        execv("/proc/self/exe", (char *const *)args); /* this very binary */
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

/* Prints the first line where the two files differ (or where one ends); returns whether
 * they are identical. */
static bool compare_histories(const char *a_path, const char *b_path, uint64_t *records)
{
    FILE *a = fopen(a_path, "r");
    FILE *b = fopen(b_path, "r");
    BL_ASSERT(a != NULL && b != NULL);
    char *line_a = malloc(LINE_MAX_BYTES), *line_b = malloc(LINE_MAX_BYTES);
    BL_ASSERT(line_a != NULL && line_b != NULL);
    bool same = true;
    *records = 0;
    for (;;) {
        char *got_a = fgets(line_a, LINE_MAX_BYTES, a);
        char *got_b = fgets(line_b, LINE_MAX_BYTES, b);
        if (got_a == NULL && got_b == NULL) break;
        (*records)++;
        if (got_a != NULL && got_b != NULL && strcmp(line_a, line_b) == 0) continue;
        same = false;
        fprintf(stderr,
                "brokerlab: nondeterminism: history record %" PRIu64 " differs\n  first run:  %s"
                "  second run: %s",
                *records, got_a != NULL ? line_a : "(the history ended)\n",
                got_b != NULL ? line_b : "(the history ended)\n");
        break;
    }
    free(line_a);
    free(line_b);
    fclose(a);
    fclose(b);
    return same;
}

int determinism_check(const char *scenario_path, bool builtin, uint64_t seed, const char *work_dir)
{
    char out[2][PATH_TEXT_LEN], history[2][PATH_TEXT_LEN];
    for (int run = 0; run < 2; run++) {
        int n = snprintf(out[run], sizeof out[run], "%s/%c", work_dir, run == 0 ? 'a' : 'b');
        int m = snprintf(history[run], sizeof history[run], "%s/history.jsonl", out[run]);
        if (n < 0 || (size_t)n >= sizeof out[run] || m < 0 || (size_t)m >= sizeof history[run]) {
            fprintf(stderr, "brokerlab: the path %s is too long\n", work_dir);
            return BL_EXIT_BAD_INPUT;
        }
        int rc = run_child(scenario_path, builtin, seed, out[run]);
        if (rc != BL_EXIT_OK && rc != BL_EXIT_EXPECTATION) {
            fprintf(stderr,
                    "brokerlab: --check-determinism: run %d of seed %" PRIu64 " failed (exit %d)\n",
                    run + 1, seed, rc);
            return rc == BL_EXIT_INTERNAL ? BL_EXIT_INTERNAL : BL_EXIT_BAD_INPUT;
        }
    }
    uint64_t records = 0;
    if (!compare_histories(history[0], history[1], &records)) return BL_EXIT_INTERNAL;
    printf("deterministic: seed %" PRIu64 " run twice in separate processes, %" PRIu64
           " history records identical\n",
           seed, records);
    return BL_EXIT_OK;
}
