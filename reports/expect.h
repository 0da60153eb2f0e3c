/* expect.h — the scenario's `expect:` expressions, parsed and evaluated over results.
 *
 * Grammar (one comparison per expectation):
 *   expr   := metric OP value
 *   OP     := == | != | < | <= | > | >=
 *   value  := number | duration (2s, 500ms: compared in seconds) | metric
 *   metric := [GROUP '.'] path | 'producer' '(' NAME ')' '.' path | global
 * Group metrics: produced acked consumed lost unacked_lost duplicated deduplicated
 *   reordered reordered_partition redelivered unavailable_s peak_backlog drain_s
 *   throughput_per_s (a rate, not a time)
 *   latency.ack.{p50,p99,p999,max,mean} latency.e2e.{...}
 * A bare group metric is allowed when the scenario has exactly one consumer group.
 * Producer metrics (NAME = producer entry name, summed/merged over its instances):
 *   sent acked failed unknown requests latency.ack.{..} latency.request.{..}
 * Global: total.produced total.acked total.failed total.unknown, and from the engine's
 *   network layer (results.json `network`), network.inter_broker_bytes and
 *   network.inter_broker_bytes_per_message (per message produced)
 * Latencies and *_s are in seconds.
 *
 * No data is not 0: a latency without samples, a group's anomaly, availability or
 * backlog metric when nothing was produced to its topic, the drain of a backlog that
 * never drained, any metric of a group that never subscribed. An expectation over a
 * metric without data fails, saying why. Counts (produced, acked, consumed, sent, ...,
 * total.*) are always defined: `consumed == 0` asserts emptiness. */
#ifndef BL_EXPECT_H
#define BL_EXPECT_H

#include <stdbool.h>

#include "../engine/scenario.h"
#include "../engine/scenario_lint.h"
#include "check.h"

/* Checks every expectation's syntax and names against the scenario (groups, producers).
 * Returns 0, or BL_EXIT_BAD_INPUT with `FILE:LINE:COL: ...` in error. */
int expect_validate(const scn_scenario *scenario, char error[SCN_ERROR_LEN]);

#define EXPECT_WHY_LEN 192

typedef struct expect_outcome {
    bool held;
    double lhs, rhs;              /* observed values; NAN for an operand without data */
    char no_data[EXPECT_WHY_LEN]; /* "" or why an operand has no data (then held is false) */
    bool is_time;                 /* the left-hand side is a time metric: values in seconds */
} expect_outcome;

/* Evaluates expectation `index`. The scenario must have passed expect_validate. */
void expect_evaluate(const scn_scenario *scenario, uint32_t index, const check_results *results,
                     expect_outcome *out);

/* Warns (scenario_lint.h) about expectations over a metric the scenario cannot produce:
 * a producer's request latency or requests without a request model, a group's
 * deduplicated count without dedup. The scenario must have passed expect_validate.
 * Returns how many warnings. */
uint32_t expect_lint(const scn_scenario *scenario, scn_warning_fn warn, void *user);

#endif
