/* kafka_idempotence.h — the idempotent producer's client state: its producer id and
 * epoch, and per partition the sequence numbers and the batches in flight (Kafka's
 * TransactionManager and TxnPartitionEntry without a transactional id, in
 * clients/.../producer/internals).
 *
 * - A batch gets its base sequence when it is first drained, and keeps it through every
 *   retry; the partition's next sequence moves on by its record count
 *   (RecordAccumulator.drainBatchesForOneNode). It stays "in flight" (TxnPartitionEntry's
 *   inflightBatchesBySequence) until its final success or failure, waiting retries too.
 * - Draining a node stops (shouldStopDrainBatchesForPartition) while the producer has no
 *   id; at a head batch without a sequence while the partition still has batches in
 *   flight of an older epoch, or an unresolved sequence; and at a retried head batch
 *   that is not the lowest sequence in flight (so retries go out one at a time, in
 *   order).
 * - OUT_OF_ORDER_SEQUENCE_NUMBER is always retried; it bumps the epoch when the batch is
 *   the next one after the last acknowledged (a real gap: canRetry). A batch that fails
 *   for good bumps it too when retries were left, or on an out-of-order error
 *   (handleFailedBatch). A batch that expires in the queue after a retry leaves its
 *   partition unresolved until nothing is in flight there; then, unless later batches
 *   were acknowledged, the epoch is bumped (maybeResolveSequences).
 * - The bump is local (KIP-360): epoch + 1, and the partitions that asked for it restart
 *   their in-flight batches' sequences at 0 (startSequencesAtBeginning); every other
 *   partition restarts at 0 once it has nothing in flight (maybeUpdateProducerIdAndEpoch).
 * The broker's side is kafka_producer_state.c. */
#ifndef BL_KAFKA_IDEMPOTENCE_H
#define BL_KAFKA_IDEMPOTENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka_producer_state.h"
#include "kafka_proto.h"

struct kafka_batch;

/* The most batches of one partition in flight: each sits in a request (max_in_flight,
 * at most 5 with idempotence, per broker connection it was sent on) or waits to be
 * retried after one. */
#define KAFKA_SEQUENCE_IN_FLIGHT_MAX (5u * SCN_BROKERS_MAX)

typedef struct kafka_sequence_entry { /* TxnPartitionEntry */
    int16_t epoch;                    /* the producer epoch of its sequences; -1: none yet */
    int32_t next_sequence;
    int32_t last_acked_sequence;    /* -1: none */
    int32_t unresolved_next;        /* partitionsWithUnresolvedSequences; -1: resolved */
    bool rewrite;                   /* partitionsToRewriteSequences */
    struct kafka_batch **in_flight; /* by base sequence, lowest first */
    uint32_t in_flight_count, in_flight_capacity;
} kafka_sequence_entry;

typedef struct kafka_idempotence {
    bool enabled;
    uint32_t producer_id; /* KAFKA_NO_PRODUCER_ID until InitProducerId is answered */
    int16_t epoch;
    bool bump_required; /* epochBumpRequired */
    uint32_t partition_count;
    kafka_sequence_entry *partitions;
} kafka_idempotence;

void kafka_idempotence_init(kafka_idempotence *kid, bool enabled, uint32_t partition_count);
void kafka_idempotence_free(kafka_idempotence *kid);
/* A new process: no producer id, no sequences, nothing in flight. */
void kafka_idempotence_reset(kafka_idempotence *kid);
/* InitProducerId answered. */
void kafka_idempotence_set_producer_id(kafka_idempotence *kid, uint32_t producer_id);
/* Sender.runOnce's first steps: maybeResolveSequences, then the epoch bump if one was
 * asked for. */
void kafka_idempotence_on_run(kafka_idempotence *kid);
/* shouldStopDrainBatchesForPartition for the head batch `first` of its partition. */
bool kafka_idempotence_stop_drain(const kafka_idempotence *kid, const struct kafka_batch *first);
/* The batch is drained into a request: a sequence if it has none, in flight. */
void kafka_idempotence_on_drain(kafka_idempotence *kid, struct kafka_batch *batch);
/* The stamp a drained batch carries. */
kafka_producer_stamp kafka_idempotence_stamp(const kafka_idempotence *kid,
                                             const struct kafka_batch *batch);
/* handleCompletedBatch: acknowledged (a duplicate too). */
void kafka_idempotence_on_success(kafka_idempotence *kid, struct kafka_batch *batch);
/* TransactionManager.canRetry for a retriable error: whether to retry (it may ask for an
 * epoch bump). */
bool kafka_idempotence_can_retry(kafka_idempotence *kid, const struct kafka_batch *batch,
                                 kafka_error error);
/* handleFailedBatch: the batch failed for good; `adjust`: retries were left. */
void kafka_idempotence_on_failed(kafka_idempotence *kid, struct kafka_batch *batch,
                                 kafka_error error, bool adjust);
/* A queued batch expired (failBatch without adjusting, then markSequenceUnresolved if
 * it had been retried). */
void kafka_idempotence_on_expired(kafka_idempotence *kid, struct kafka_batch *batch);

#endif
