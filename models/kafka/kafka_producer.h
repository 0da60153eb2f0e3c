/* kafka_producer.h — a Kafka-style producer node (see kafka_producer.c). */
#ifndef BL_KAFKA_PRODUCER_H
#define BL_KAFKA_PRODUCER_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../../engine/workload.h"
#include "../common/request_table.h"
#include "kafka_client_metadata.h"
#include "kafka_idempotence.h"
#include "kafka_proto.h"

#define KAFKA_IN_FLIGHT_MAX     100 /* upper bound of max_in_flight */
#define KAFKA_BATCH_POOL_MAX    256 /* freed batches a producer keeps for reuse */
/* The most records one batch holds. A batch closes once full (batch_size) at its last
 * record's instant, but it still takes the records offered at that same instant and,
 * after buffer memory was full, every blocked send let through at once, so batch_size
 * alone does not bound it. It is sent whole as one part of one produce request, though,
 * whose record store holds at most KAFKA_MSG_RECORDS_MAX. (The scenarios here stay
 * below 128 records a batch.) */
#define KAFKA_BATCH_RECORDS_MAX KAFKA_MSG_RECORDS_MAX

typedef struct kafka_batch {
    uint32_t id;
    uint32_t partition;
    /* Its records: msg_ids and keys, parallel arrays of capacity entries (kept when the
     * batch goes back to the pool), count of them used, at most KAFKA_BATCH_RECORDS_MAX. */
    uint32_t count, capacity;
    uint64_t *msg_ids;
    int32_t *keys;
    int64_t created_us; /* first record appended: the delivery timeout starts here */
    int64_t last_us;    /* last record appended */
    int64_t retry_at_us;
    uint32_t attempts;
    bool maybe_written; /* an attempt ended without a definite answer */
    bool reenqueued;    /* put back for a retry at least once (ProducerBatch.inRetry) */
    /* idempotence (kafka_idempotence.c): its base sequence (KAFKA_NO_SEQUENCE until first
     * drained) and producer epoch; reopened: its sequence was rewritten since it was last
     * sent (ProducerBatch.sequenceHasBeenReset) */
    int32_t base_sequence;
    int16_t producer_epoch;
    bool reopened;
    struct kafka_batch *next;
} kafka_batch;

typedef struct kafka_part_queue {
    kafka_batch *open;        /* being filled */
    kafka_batch *head, *tail; /* closed, waiting to be (re)sent */
} kafka_part_queue;

/* The batches a produce request in flight carries, beside its request_table slot. */
typedef struct kafka_request_batches {
    uint32_t batch_count;
    kafka_batch **batches; /* batch_count entries, owned; NULL once answered or expired */
    uint32_t expired;      /* expired at their delivery timeout while in flight: */
    uint32_t *expired_ids; /* their batch ids (batch_count entries, once one expired) */
} kafka_request_batches;

typedef struct kafka_producer {
    const kafka_cluster *cluster;
    const scn_producer *config;
    kafka_producer_options options; /* the entry's Kafka client configuration */
    uint32_t entry, instance;       /* producer entry in the scenario, instance within it */
    sim_node *node;
    wl_generator generator;
    gsl_rng *rng_calls;
    uint64_t *next_msg_id;     /* shared: message ids are unique in the run */
    uint32_t *key_seq;         /* per key (or one slot without keys) */
    kafka_part_queue *queues;  /* per partition */
    kafka_batch *free_batches; /* the batch pool */
    uint32_t free_batch_count;
    request_table requests;         /* produce requests in flight, max_in_flight per broker */
    kafka_client_metadata metadata; /* its topic's leaders, as it knows them */
    kafka_request_batches *request_batches; /* by request slot */
    uint64_t buffered_bytes;                /* buffer.memory in use */
    uint32_t round_robin_next;
    /* the sticky partitioner (kafka_partitioner.c): the partition keyless records go to,
     * the bytes sent there since it was chosen, and its draws */
    uint32_t sticky_partition;
    bool sticky_chosen;
    uint64_t sticky_bytes;
    gsl_rng *rng_partitioner;
    uint32_t next_batch_id, next_request_id;
    kafka_idempotence idempotence; /* enable.idempotence: ids, sequences (kafka_idempotence.c) */
    /* InitProducerId (TransactionManager.InitProducerIdHandler) in flight to init_broker,
     * or the next attempt after a failed one */
    bool init_in_flight;
    uint32_t init_broker, init_correlation_id;
    int64_t init_deadline_us, init_next_attempt_us;
    /* RecordAccumulator's per-node drain index: the partition the last drain of a broker
     * stopped at, where its next one starts */
    uint32_t drain_start[SCN_BROKERS_MAX];
    sim_timer wake_timer;                 /* the next time something is due */
    sim_timer timeout_timer;              /* the earliest in-flight request deadline */
    uint32_t send_stream, request_stream; /* history streams written ahead */
    uint16_t hist_topic;
} kafka_producer;

kafka_producer *kafka_producer_create(const kafka_cluster *cluster, uint32_t entry,
                                      uint32_t instance, uint64_t *next_msg_id);
void kafka_producer_free(kafka_producer *producer);
/* Messages the application has sent by now_us that have no outcome yet (what a stop of
 * the producer leaves unknown): see kafka_producer.c. */
uint64_t kafka_producer_unacked(const kafka_producer *producer, int64_t now_us);

#endif
