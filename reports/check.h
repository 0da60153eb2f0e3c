/* check.h — the independent checker: turns a client history into measured anomalies.
 *
 * It reads only `hist_record`s (never a broker) and is fed in simulated-time order, one
 * record at a time; it keeps a message only while it is in flight (its send outcome or
 * a group's first process still to come) or anomalous, so a run of any length needs
 * memory proportional to neither its history size nor its message count. Definitions
 * (DESIGN.md, per consumer group):
 *   consumed      messages of the group's topic with at least one `process`
 *   lost          `send ok` and never processed by the group
 *   unacked_lost  send outcome fail/info/none and never processed
 *   duplicated    messages processed two or more times
 *   deduplicated  `dedup` records (redeliveries the idempotent consumer skipped)
 *   reordered     first `process` of a message whose seq is below one already processed
 *                 for the same (producer node, key); reordered_partition: whose offset
 *                 is below one already processed in the same partition
 *   latency.ack   `send ok` t - intended_t;  latency.e2e: first `process` t - intended_t
 *   unavailable_s whole seconds in which a send (by intended_t) failed, ended unknown,
 *                 or was acknowledged later than `unavailable_after`
 *   peak_backlog  max over time of (acked messages of the topic - consumed by the group);
 *   drain_s       time from that peak until the backlog is <= max(1, peak/1000)
 *   throughput_per_s  first processes during the load phase (t < its length), per
 *                 second of it: the rate the group kept up with (capacity, when the
 *                 offered load exceeds it)
 *   dead_lettered  (RabbitMQ) its messages that died in its queue and were processed
 *                 by a consumer of a dead-letter queue (a dead letter's process names
 *                 the group it died in, from its x-death header): not lost
 *   broker_*      what the broker's metrics said of the group's queues (the stats
 *                 records, counters summed over brokers and restarts, a restart
 *                 being a value below the previous one, as Prometheus reads counter
 *                 resets: one climbing back past the old value between two scrapes
 *                 goes unseen): expired,
 *                 maxlen, dead_lettered (republished to a dead-letter exchange) and
 *                 dropped (gone without one)
 *   lost_beyond_policy  lost minus what the broker says its policies removed without
 *                 a copy the group's dead-letter consumers processed (dropped, plus
 *                 dead-lettered ones no consumer processed), at least 0: loss the
 *                 limits do not explain (as far as the scrapes saw: what a broker
 *                 counted after its last scrape before it crashed is not among them,
 *                 nor are reject-publish refusals, which are nacks, of fire-and-forget
 *                 publishes)
 * A group's topic is known from its `subscribe` records. */
#ifndef BL_CHECK_H
#define BL_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "../engine/history.h"

#define CHECK_GROUPS_MAX    16
#define CHECK_PRODUCERS_MAX 1024 /* producer nodes */
#define CHECK_EXAMPLES_MAX  8    /* example message ids kept per anomaly kind */

/* The broker counters the checker sums from stats records, by the counter's name. */
typedef enum check_broker_counter {
    CHECK_BROKER_EXPIRED = 0,
    CHECK_BROKER_MAXLEN,
    CHECK_BROKER_DEAD_LETTERED,
    CHECK_BROKER_DROPPED,
    CHECK_BROKER_COUNTERS
} check_broker_counter;
const char *check_broker_counter_name(check_broker_counter counter); /* "expired", ... */

typedef struct check_percentiles {
    uint64_t count;
    double p50_s, p99_s, p999_s, max_s, mean_s; /* NAN (no data) when count is 0 */
} check_percentiles;

/* One second of the run (by simulated time), for plots. */
typedef struct check_second {
    uint64_t sent;                          /* send invokes with intended_t in this second */
    uint64_t acked;                         /* send ok records in this second */
    uint64_t consumed;                      /* first process records in this second (this group) */
    uint64_t backlog;                       /* at the end of the second (this group) */
    double e2e_p50_s, e2e_p99_s, e2e_max_s; /* of first processes in this second; 0 if none */
} check_second;

typedef enum check_anomaly_kind {
    CHECK_LOST = 0,
    CHECK_UNACKED_LOST,
    CHECK_DUPLICATED,
    CHECK_REORDERED,
    CHECK_ANOMALY_KINDS,
} check_anomaly_kind;

typedef struct check_group {
    char name[HIST_NAME_LEN];
    char topic[HIST_NAME_LEN];
    uint64_t produced, acked; /* of this group's topic */
    uint64_t consumed, lost, unacked_lost, duplicated, deduplicated;
    uint64_t reordered, reordered_partition;
    uint64_t redelivered;                          /* deliver records with redelivered=true */
    uint64_t dead_lettered;                        /* see above */
    uint64_t dead_letters_processed;               /* as a dead-letter queue's group */
    uint64_t broker_counts[CHECK_BROKER_COUNTERS]; /* see above */
    bool broker_stats;                             /* a stats record named the group */
    uint64_t lost_beyond_policy;
    check_percentiles latency_ack, latency_e2e;
    double unavailable_s;
    uint64_t peak_backlog;
    double peak_backlog_at_s;
    double drain_s;          /* NAN (no data) if the backlog never drained; 0 if there was none */
    bool drained;            /* the backlog drained, or there never was one */
    double throughput_per_s; /* NAN (no data) without a load length
                                (check_set_load_length) or with nothing produced */
    uint64_t examples[CHECK_ANOMALY_KINDS][CHECK_EXAMPLES_MAX]; /* smallest message ids */
    uint32_t example_count[CHECK_ANOMALY_KINDS];
    check_second *seconds; /* second_count entries, owned */
    uint32_t second_count;
} check_group;

typedef struct check_producer {
    char name[HIST_NAME_LEN]; /* node name, e.g. "producer/checkout/0" */
    uint64_t sent, acked, failed, unknown, requests;
    check_percentiles latency_ack;
    check_percentiles latency_request; /* request ok - request intended_t (C01) */
} check_producer;

typedef struct check_results {
    check_group groups[CHECK_GROUPS_MAX];
    uint32_t group_count;
    check_producer *producers; /* producer_count entries, owned */
    uint32_t producer_count;
    uint64_t produced, acked, failed, unknown; /* over all topics */
    uint64_t records;                          /* history records read */
    uint64_t inter_broker_bytes; /* not the checker's: the engine's network count, set by
                                    the run for network.* expectations */
    double end_s;                /* time of the last record */
} check_results;

typedef struct check_state check_state; /* opaque, streaming */

/* `unavailable_after_us` > 0. Returns NULL only on out-of-memory (asserted). */
check_state *check_begin(int64_t unavailable_after_us);
/* The run's length (duration + drain): the time series then covers every one of its
 * seconds, the quiet ones too (0 if never called: up to the last record). */
void check_set_run_length(check_state *state, int64_t run_us);
/* The load phase's length (the scenario's duration, > 0), for throughput_per_s. */
void check_set_load_length(check_state *state, int64_t load_us);
/* Records must come in nondecreasing t; asserted. `names` is the table the records
 * index into; it may grow between calls. */
void check_feed(check_state *state, const hist_record *rec, const hist_names *names);
/* Computes the results and frees the state. */
void check_end(check_state *state, const hist_names *names, check_results *out);
void check_results_free(check_results *results);

#endif
