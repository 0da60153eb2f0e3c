/* check_internal.h — private to the checker: the streaming state shared by check.c
 * (feeding records), check_window.c (per-message storage) and check_end.c (turning the
 * state into check_results).
 *
 * Messages get dense indices in send-invoke order; an id equal to its dense index + 1
 * (the simulator's ids) needs no map entry, any other uint64 id goes into a hash map
 * (both directions). Memory per message is bounded by what is in flight or anomalous,
 * never by the run's length alone (check_window.c):
 *   - a live message in the window costs one 16-byte check_msg plus one byte per
 *     consumer group (its process count, saturating at 255), in rings whose capacity is
 *     a power of two at most twice the largest window;
 *   - an unsettled message parked in the exception list (lost, never completed, or still
 *     awaited by a lagging group while most later ones are done) costs one 40-byte
 *     check_exception;
 *   - a message that left the window settled costs nothing, except a map entry per group
 *     that processed it twice or more (so a later process is not counted again).
 * Everything else is per producer stream (producer node, key), per partition, per
 * second, or per message in flight between a `deliver` and its first `process`. */
#ifndef BL_CHECK_INTERNAL_H
#define BL_CHECK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../engine/bl_assert.h"
#include "../engine/idmap.h"
#include "../engine/vec.h"
#include "check.h"
#include "check_histogram.h"

#define CHECK_US_PER_S       1000000
#define CHECK_PARTITIONS_MAX (1 << 20) /* partition numbers accepted in deliver records */

enum { CHECK_OUTCOME_NONE = 0, CHECK_OUTCOME_OK, CHECK_OUTCOME_FAIL, CHECK_OUTCOME_INFO };

/* One message, packed into 16 bytes (check_msg_pack asserts the ranges):
 *   packed  bits 0-47 intended_t_us (>= 0, up to ~8.9 years), 48-59 topic slot,
 *           60-61 outcome (CHECK_OUTCOME_*), 62 natural (id == dense index + 1)
 *   stream  index into check_state.streams: (producer node, key)
 *   seq     per-stream sequence from the send invoke */
typedef struct check_msg {
    uint64_t packed;
    uint32_t stream;
    uint32_t seq;
} check_msg;

#define CHECK_INTENDED_BITS   48
#define CHECK_INTENDED_MAX_US ((INT64_C(1) << CHECK_INTENDED_BITS) - 1)
#define CHECK_TOPIC_BITS      12
#define CHECK_TOPIC_SHIFT     48
#define CHECK_OUTCOME_SHIFT   60
#define CHECK_NATURAL_SHIFT   62
_Static_assert(HIST_NAMES_MAX <= (1 << CHECK_TOPIC_BITS), "a topic slot fits in check_msg");
_Static_assert(CHECK_GROUPS_MAX <= 16, "a topic's groups fit in a uint16_t mask");

/* Stated bounds of the checker's tables. It reads any history, so besides the limits of
 * its own encoding it has only sanity bounds, each far beyond a machine's memory:
 *   seconds: series are indexed by second of intended time (48 bits of microseconds,
 *     ~8.9 years) or of record time, held to the same range;
 *   ids: the id maps (engine/idmap.h) hold per-message entries (ids that are not dense
 *     + 1, deliveries awaiting their first process, duplicates already counted), per
 *     (producer, key) streams and pending requests, each up to the map's own limit;
 *   exceptions and one second's first processes: 2^30 entries (40 and 8 GiB). */
#define CHECK_SECONDS_MAX          ((uint32_t)(CHECK_INTENDED_MAX_US / CHECK_US_PER_S) + 1u)
#define CHECK_MAP_ENTRIES_MAX      BL_IDMAP_ENTRIES_LIMIT
#define CHECK_STREAMS_MAX          BL_IDMAP_ENTRIES_LIMIT
#define CHECK_EXCEPTIONS_MAX       (1u << 30)
#define CHECK_SECOND_PROCESSES_MAX (1u << 30)

static inline int64_t check_msg_intended_us(const check_msg *msg)
{
    return (int64_t)(msg->packed & (uint64_t)CHECK_INTENDED_MAX_US);
}

static inline uint16_t check_msg_topic(const check_msg *msg)
{
    return (uint16_t)(msg->packed >> CHECK_TOPIC_SHIFT & ((1u << CHECK_TOPIC_BITS) - 1));
}

static inline uint8_t check_msg_outcome(const check_msg *msg)
{
    return (uint8_t)(msg->packed >> CHECK_OUTCOME_SHIFT & 3u);
}

static inline bool check_msg_natural(const check_msg *msg)
{
    return (msg->packed >> CHECK_NATURAL_SHIFT & 1u) != 0;
}

static inline void check_msg_set_outcome(check_msg *msg, uint8_t outcome)
{
    msg->packed = (msg->packed & ~((uint64_t)3 << CHECK_OUTCOME_SHIFT)) |
                  (uint64_t)(outcome & 3u) << CHECK_OUTCOME_SHIFT;
}

/* An unsettled message moved out of the window; the list is sorted by dense. */
typedef struct check_exception {
    uint64_t dense;
    check_msg msg;
    uint8_t counts[CHECK_GROUPS_MAX]; /* process counts by group slot */
} check_exception;

/* Where a message that was invoked lives now. */
typedef struct check_live {
    check_msg *msg;  /* NULL: it left the window settled (outcome known, processed by
                            every group of its topic) and was classified then */
    uint8_t *counts; /* an exception's counts (by group slot); NULL in the window */
    size_t slot;     /* the window slot (when counts == NULL) */
} check_live;

/* For tests and diagnostics. */
typedef struct check_window_stats {
    uint64_t live;               /* messages in the window or the exception list now */
    uint64_t live_peak;          /* the most live at once */
    uint64_t exceptions;         /* of live, in the exception list */
    uint64_t exceptions_settled; /* exceptions that settled later and left the list */
    uint64_t evicted;            /* messages that left settled */
    uint64_t window_capacity;    /* ring slots allocated */
} check_window_stats;

typedef struct check_stream {
    uint16_t producer; /* producer slot */
    uint8_t keyed;     /* 0 for the producer's keyless messages (no per-key order) */
} check_stream;

/* A growable array of uint64 counters indexed by second. */
typedef struct check_series {
    uint64_t *values;
    uint32_t capacity;
} check_series;

typedef struct check_topic {
    uint16_t name;
    uint64_t produced, acked;
    int64_t last_ack_t_us;
    check_hist latency_ack;
    check_series sent_by_second;  /* by floor(intended_t) */
    check_series acked_by_second; /* by floor(t of send ok) */
    uint64_t *unavailable_bits;   /* one bit per second (by intended_t) */
    uint32_t unavailable_words;
    uint16_t group_mask; /* bit g: group slot g subscribed to the topic */
    uint64_t evicted;    /* its messages that left the window settled */
} check_topic;

typedef struct check_group_second {
    uint64_t consumed;
    int64_t e2e_p50_us, e2e_p99_us, e2e_max_us;
} check_group_second;

/* Where a message delivered to a group sits, until its first process. */
typedef struct check_delivery {
    int32_t partition;
    int64_t offset;
} check_delivery;

typedef struct check_group_state {
    uint16_t name;
    uint16_t topic; /* topic slot, from the first subscribe */
    uint64_t consumed, deduplicated, redelivered, reordered, reordered_partition;
    uint64_t consumed_in_load;   /* first processes before the load phase ended */
    uint64_t lost, unacked_lost; /* counted by check_end */
    uint64_t duplicated;         /* counted when a message leaves the window, by a
                                        later process of it, or by check_end */
    uint8_t *window_counts;      /* process counts by window slot, saturating at 255 */
    bl_idmap evicted_duplicates; /* set of dense + 1 of messages that left the window
                                        and are already counted as duplicated */
    uint64_t *stream_next_seq;   /* per stream: max seq first-processed + 1, 0 = none */
    uint32_t stream_capacity;
    int64_t *partition_max_offset; /* per partition; INT64_MIN = none */
    uint32_t partition_capacity;
    bl_idmap delivered; /* dense + 1 -> check_delivery of the latest deliver,
                                        until the first process */
    check_hist latency_e2e;
    int64_t *second_e2e_us; /* e2e of first processes in the current second */
    uint32_t second_e2e_count, second_e2e_capacity;
    check_group_second *seconds;
    uint32_t seconds_capacity;
    uint64_t peak_backlog;
    int64_t peak_backlog_at_us;
    int64_t drained_at_us; /* -1 until the backlog drains after the peak */
    uint64_t examples[CHECK_ANOMALY_KINDS][CHECK_EXAMPLES_MAX];
    uint32_t example_count[CHECK_ANOMALY_KINDS];
    /* dead letters (RabbitMQ, R12): of this group's messages, those a consumer of a
     * dead-letter queue processed first (they count as settled, not lost); as that
     * consumer's group, the dead letters it got and processed */
    uint64_t dead_lettered;
    uint64_t dead_letters_delivered, dead_letters_processed;
    /* what the broker's metrics said of its queues (stats records), summed over the
     * series of every (queue, broker) with restarts taken into account */
    uint64_t broker_counts[CHECK_BROKER_COUNTERS];
    bool broker_stats; /* a stats record named it */
    /* the messages it expects, by dense index: [since_dense, until_dense), from its
     * subscribe with from_now (0 without) to its unsubscribe (UINT64_MAX without) */
    uint64_t since_dense, until_dense;
    uint64_t acked_expected; /* send oks of the messages it expects (its backlog's base) */
    uint64_t unexpected;     /* deliver/process records of messages it does not expect */
} check_group_state;

/* One scraped counter of one queue on one broker: its last value. */
typedef struct check_stats_series {
    uint16_t group, source, counter;
    int32_t partition;
    uint64_t last;
} check_stats_series;
#define CHECK_STATS_SERIES_MAX 65536u

typedef struct check_producer_state {
    uint16_t node;
    uint64_t sent, acked, failed, unknown, requests;
    check_hist latency_ack, latency_request;
    bl_idmap streams;          /* (uint64_t)key + 2 (key none -> 1) -> uint32_t
                                        stream index */
    bl_idmap pending_requests; /* request id -> int64_t intended_t_us */
} check_producer_state;

struct check_state {
    int64_t unavailable_after_us;
    int64_t load_us; /* the load phase's length; 0 = not known (check_set_load_length) */
    int64_t last_t_us;
    uint64_t records;
    int64_t second_now;          /* second of the latest record */
    size_t second_count;         /* 1 + the highest second any series touched, and at
                                    least the run's seconds (check_set_run_length) */
    uint64_t msg_count;          /* send invokes: dense indices [0, msg_count) */
    check_msg *window;           /* ring: dense d at slot d & (window_capacity - 1) */
    uint64_t window_base;        /* the window holds dense [window_base, msg_count) */
    size_t window_capacity;      /* 0 or a power of two */
    check_exception *exceptions; /* unsettled messages below window_base, by dense */
    size_t exception_count;
    uint32_t exception_capacity;
    uint64_t evicted, live_peak, exceptions_settled; /* for check_window_stats */
    bl_idmap ids;         /* message ids that are not dense index + 1 -> uint64_t
                                        dense index */
    bl_idmap id_of_dense; /* the reverse: dense + 1 -> uint64_t id, for those */
    check_stream *streams;
    uint32_t stream_count;
    uint32_t stream_capacity;
    int16_t topic_of_name[HIST_NAMES_MAX]; /* -1 = none */
    int16_t group_of_name[HIST_NAMES_MAX];
    int16_t producer_of_name[HIST_NAMES_MAX];
    check_topic *topics;
    uint32_t topic_count;
    uint32_t topic_capacity;
    check_group_state groups[CHECK_GROUPS_MAX];
    uint32_t group_count;
    check_producer_state *producers;
    uint32_t producer_count;
    uint32_t producer_capacity;
    uint64_t produced, acked, failed, unknown;
    check_stats_series *stats_series; /* every (group, queue, broker, counter) scraped */
    uint32_t stats_series_count, stats_series_capacity;
};

/* Inserts id into a kind's examples, keeping the CHECK_EXAMPLES_MAX smallest, sorted. */
void check_example_add(check_group_state *group, check_anomaly_kind kind, uint64_t id);
/* Computes every group's e2e figures of the current second and clears its values. */
void check_close_second(check_state *state);
/* Sets the unavailable bit of `second` for the topic. */
void check_mark_unavailable(check_state *state, check_topic *topic, int64_t second);

/* ---- per-message storage (check_window.c) ---- */

/* The entry of a new message; asserts the ranges it packs. */
check_msg check_msg_pack(int64_t intended_t_us, uint16_t topic, uint32_t stream, uint32_t seq,
                         bool natural);
/* Appends the next message (dense index msg_count, returned), first letting settled
 * messages leave the window. Pointers from check_window_find are invalid afterwards. */
uint64_t check_window_append(check_state *state, check_msg msg);
/* Where message `dense` (< window_base) lives: the exception list, or nowhere. */
check_live check_window_find_old(const check_state *state, uint64_t dense);
/* The live view of exception i (< exception_count). */
check_live check_exception_live(const check_state *state, size_t i);
/* Whether a message that left the window settled had the id dense + 1. */
bool check_forgotten_natural(const check_state *state, uint64_t dense);
/* The id of message `dense`, given its entry. */
uint64_t check_msg_id(const check_state *state, const check_msg *msg, uint64_t dense);
/* Counts message `dense` (id `id`) as duplicated for the group, once. */
void check_count_duplicated(check_group_state *group, uint64_t dense, uint64_t id);
/* Group slot `group` subscribed: its window counts and its topic's mask. Asserts no
 * message of the topic has left the window yet (they could no longer be checked). */
void check_window_group_added(check_state *state, uint32_t group, const char *group_name,
                              const char *topic_name);
void check_window_free(check_state *state);
check_window_stats check_window_stats_of(const check_state *state);

/* Where message `dense` (< msg_count) lives; the window, the common case, inline. */
static inline check_live check_window_find(const check_state *state, uint64_t dense)
{
    BL_ASSERT(dense < state->msg_count);
    if (dense < state->window_base) return check_window_find_old(state, dense);
    size_t slot = (size_t)(dense & (state->window_capacity - 1));
    return (check_live){.msg = &state->window[slot], .counts = NULL, .slot = slot};
}

/* The process count of group slot `group` for a live message (live->msg != NULL). */
/* Whether the group expects message `dense` (sent while it was subscribed). */
static inline bool check_expects(const check_group_state *group, uint64_t dense)
{
    return dense >= group->since_dense && dense < group->until_dense;
}

static inline uint8_t *check_live_count(const check_state *state, const check_live *live,
                                        uint32_t group)
{
    BL_ASSERT(live->msg != NULL && group < state->group_count);
    if (live->counts != NULL) return &live->counts[group];
    return &state->groups[group].window_counts[live->slot];
}

#endif
