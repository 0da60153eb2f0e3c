/* check_internal.h — private to the checker: the streaming state shared by check.c
 * (feeding records) and check_end.c (turning the state into check_results).
 *
 * Memory per message is one 24-byte check_msg plus one byte per consumer group (its
 * process count, saturating at 255). Everything else is per producer stream (producer
 * node, key), per partition, per second, or per message in flight between a `deliver`
 * and its first `process`. Message ids are mapped to dense indices in send-invoke
 * order: an id equal to its dense index + 1 (the simulator's ids) needs no map entry;
 * any other uint64 id goes into a hash map. */
#ifndef BL_CHECK_INTERNAL_H
#define BL_CHECK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "check_histogram.h"
#include "check_map.h"

#define CHECK_US_PER_S 1000000
#define CHECK_PARTITIONS_MAX (1 << 20)  /* partition numbers accepted in deliver records */

enum { CHECK_OUTCOME_NONE = 0, CHECK_OUTCOME_OK, CHECK_OUTCOME_FAIL, CHECK_OUTCOME_INFO };

typedef struct check_msg {
    int64_t intended_t_us;
    uint32_t stream;    /* index into check_state.streams: (producer node, key) */
    uint32_t seq;       /* per-stream sequence from the send invoke */
    uint16_t topic;     /* topic slot */
    uint8_t outcome;    /* CHECK_OUTCOME_* of the send */
    uint8_t natural;    /* 1 iff the message id is dense index + 1 */
} check_msg;

typedef struct check_stream {
    uint16_t producer;  /* producer slot */
    uint8_t keyed;      /* 0 for the producer's keyless messages (no per-key order) */
} check_stream;

/* A growable array of uint64 counters indexed by second. */
typedef struct check_series {
    uint64_t *values;
    size_t capacity;
} check_series;

typedef struct check_topic {
    uint16_t name;
    uint64_t produced, acked;
    int64_t last_ack_t_us;
    check_hist latency_ack;
    check_series sent_by_second;     /* by floor(intended_t) */
    check_series acked_by_second;    /* by floor(t of send ok) */
    uint64_t *unavailable_bits;      /* one bit per second (by intended_t) */
    size_t unavailable_words;
} check_topic;

typedef struct check_group_second {
    uint64_t consumed;
    int64_t e2e_p50_us, e2e_p99_us, e2e_max_us;
} check_group_second;

typedef struct check_group_state {
    uint16_t name;
    uint16_t topic;                  /* topic slot, from the first subscribe */
    uint64_t consumed, deduplicated, redelivered, reordered, reordered_partition;
    uint64_t lost, unacked_lost, duplicated;           /* counted by check_end */
    uint8_t *process_counts;         /* per dense message, saturating at 255 */
    size_t process_counts_capacity;
    uint64_t *stream_next_seq;       /* per stream: max seq first-processed + 1, 0 = none */
    size_t stream_capacity;
    int64_t *partition_max_offset;   /* per partition; INT64_MIN = none */
    size_t partition_capacity;
    check_map delivered;             /* dense + 1 -> (partition, offset) of the latest
                                        deliver, until the first process */
    check_hist latency_e2e;
    int64_t *second_e2e_us;          /* e2e of first processes in the current second */
    size_t second_e2e_count, second_e2e_capacity;
    check_group_second *seconds;
    size_t seconds_capacity;
    uint64_t peak_backlog;
    int64_t peak_backlog_at_us;
    int64_t drained_at_us;           /* -1 until the backlog drains after the peak */
    uint64_t examples[CHECK_ANOMALY_KINDS][CHECK_EXAMPLES_MAX];
    uint32_t example_count[CHECK_ANOMALY_KINDS];
} check_group_state;

typedef struct check_producer_state {
    uint16_t node;
    uint64_t sent, acked, failed, unknown, requests;
    check_hist latency_ack, latency_request;
    check_map streams;               /* (uint64_t)key + 2 (key none -> 1) -> stream index */
    check_map pending_requests;      /* request id -> intended_t */
} check_producer_state;

struct check_state {
    int64_t unavailable_after_us;
    int64_t last_t_us;
    uint64_t records;
    int64_t second_now;              /* second of the latest record */
    size_t second_count;             /* 1 + the highest second any series touched */
    check_msg *msgs;
    uint64_t msg_count;
    size_t msg_capacity;
    check_map ids;                   /* message ids that are not dense index + 1 */
    check_stream *streams;
    uint32_t stream_count;
    size_t stream_capacity;
    int16_t topic_of_name[HIST_NAMES_MAX];     /* -1 = none */
    int16_t group_of_name[HIST_NAMES_MAX];
    int16_t producer_of_name[HIST_NAMES_MAX];
    check_topic *topics;
    uint32_t topic_count;
    size_t topic_capacity;
    check_group_state groups[CHECK_GROUPS_MAX];
    uint32_t group_count;
    check_producer_state *producers;
    uint32_t producer_count;
    size_t producer_capacity;
    uint64_t produced, acked, failed, unknown;
};

/* Grows *array (of element_size bytes each) to hold at least `needed` elements, zeroing
 * the new part; *capacity is in elements. Asserts on out-of-memory. */
void check_grow(void **array, size_t *capacity, size_t needed, size_t element_size);
/* Inserts id into a kind's examples, keeping the CHECK_EXAMPLES_MAX smallest, sorted. */
void check_example_add(check_group_state *group, check_anomaly_kind kind, uint64_t id);
/* Computes every group's e2e figures of the current second and clears its values. */
void check_close_second(check_state *state);
/* Sets the unavailable bit of `second` for the topic. */
void check_mark_unavailable(check_state *state, check_topic *topic, int64_t second);

#endif
