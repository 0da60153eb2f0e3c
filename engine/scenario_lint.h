/* scenario_lint.h — warnings about a valid scenario that cannot measure what it asks,
 * or whose values the run will cut short without saying so: a consumer group on a topic
 * no producer writes to, a fault whose selector names no node at all, a restart or a
 * fault window or a spike that runs past the load phase (the drain phase ends them
 * early). `validate` and `run` print them on stderr as `FILE:LINE:COL: warning: ...`;
 * with --strict a warning makes the command fail with exit code 2. */
#ifndef BL_SCENARIO_LINT_H
#define BL_SCENARIO_LINT_H

#include <stdint.h>

#include "scenario.h"

#define SCN_WARNING_LEN (SCN_PATH_LEN + 512)

/* Called once per warning with `FILE:LINE:COL: warning: ...` (one line, no newline). */
typedef void (*scn_warning_fn)(void *user, const char *warning);

/* Where warnings about one scenario go, and how many went. */
typedef struct scn_lint_sink {
    const scn_scenario *scenario;
    scn_warning_fn warn;
    void *user;
    uint32_t count;
} scn_lint_sink;

/* Formats one warning at `mark` of the scenario's file and hands it to the sink. */
void scn_warn_at(scn_lint_sink *sink, scn_mark mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Calls warn for every warning about `scenario`; returns how many there were. */
uint32_t scn_lint(const scn_scenario *scenario, scn_warning_fn warn, void *user);

#endif
