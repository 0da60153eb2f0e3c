/* expect.h — the scenario's `expect:` expressions, parsed and evaluated over results.
 *
 * Grammar (one comparison per expectation):
 *   expr   := metric OP value
 *   OP     := == | != | < | <= | > | >=
 *   value  := number | duration (2s, 500ms: compared in seconds) | metric
 *   metric := [GROUP '.'] path | 'producer' '(' NAME ')' '.' path | global
 * Group metrics: produced acked consumed lost unacked_lost duplicated deduplicated
 *   reordered reordered_partition redelivered unavailable_s peak_backlog drain_s
 *   latency.ack.{p50,p99,p999,max,mean} latency.e2e.{...}
 * A bare group metric is allowed when the scenario has exactly one consumer group.
 * Producer metrics (NAME = producer entry name, summed/merged over its instances):
 *   sent acked failed unknown requests latency.ack.{..} latency.request.{..}
 * Global: total.produced total.acked total.failed total.unknown
 * Latencies and *_s are in seconds. */
#ifndef BL_EXPECT_H
#define BL_EXPECT_H

#include <stdbool.h>

#include "../engine/scenario.h"
#include "check.h"

/* Checks every expectation's syntax and names against the scenario (groups, producers).
 * Returns 0, or BL_EXIT_BAD_INPUT with `FILE:LINE:COL: ...` in error. */
int expect_validate(const scn_scenario *scenario, char error[SCN_ERROR_LEN]);

/* Evaluates expectation `index`; writes the observed left-hand value (and right-hand)
 * into *lhs / *rhs. The scenario must have passed expect_validate. */
bool expect_evaluate(const scn_scenario *scenario, uint32_t index, const check_results *results,
                     double *lhs, double *rhs);

#endif
