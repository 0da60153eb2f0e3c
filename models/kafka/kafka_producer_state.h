/* kafka_producer_state.h — one log's idempotent-producer state: per producer id, its
 * epoch and the sequence ranges of its last five batches, and the rules a leader checks
 * a produced batch against (Kafka's ProducerStateManager, ProducerStateEntry and
 * ProducerAppendInfo in storage/.../internals/log, called from UnifiedLog.append).
 *
 * - A batch of a known epoch whose sequence range equals one of the five kept is a
 *   duplicate: it is not appended, and the answer carries the original's offset
 *   (UnifiedLog.analyzeAndValidateProducerState, ProducerStateEntry.findDuplicateBatch).
 * - An older epoch is refused (INVALID_PRODUCER_EPOCH, checkProducerEpoch).
 * - A new epoch must start at sequence 0, unless the producer is unknown here; within an
 *   epoch the batch must follow the last one (lastSeq + 1), else OUT_OF_ORDER_SEQUENCE
 *   (checkSequence). An unknown producer may start anywhere.
 * - Every append updates the state, a leader's after the checks and a follower's without
 *   them (AppendOrigin.REPLICATION); a new epoch clears the kept batches
 *   (maybeUpdateProducerEpoch).
 *
 * The state is derived from the log's batch headers: truncation and recovery rebuild it
 * from the batches left (ProducerStateManager.truncateAndReload). Kafka replays from its
 * last snapshot, which still holds producers whose batches retention deleted; the model
 * replays from the log start and forgets them, so such a producer may start anywhere
 * again. Producer ids never expire here (producer.id.expiration.ms, 1 day, is longer
 * than the scenarios). */
#ifndef BL_KAFKA_PRODUCER_STATE_H
#define BL_KAFKA_PRODUCER_STATE_H

#include <stdint.h>

#include "../../engine/idmap.h"

#define KAFKA_PRODUCER_BATCHES_RETAINED 5 /* ProducerStateEntry.NUM_BATCHES_TO_RETAIN */
#define KAFKA_NO_PRODUCER_ID            0u
#define KAFKA_NO_PRODUCER_EPOCH         (-1) /* RecordBatch.NO_PRODUCER_EPOCH */
#define KAFKA_NO_SEQUENCE               (-1) /* RecordBatch.NO_SEQUENCE */
/* The most producer ids one log keeps: one per producer process start that wrote to it
 * (1,024 processes at most, each restart a new id). The bound is far above what a
 * scenario's faults can restart. */
#define KAFKA_PRODUCER_IDS_MAX          (1u << 20)

/* A batch's producer fields (RecordBatch producerId, producerEpoch, baseSequence);
 * producer_id KAFKA_NO_PRODUCER_ID: a batch of a non-idempotent producer. */
typedef struct kafka_producer_stamp {
    uint32_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
} kafka_producer_stamp;

#define KAFKA_NO_STAMP \
    ((kafka_producer_stamp){KAFKA_NO_PRODUCER_ID, KAFKA_NO_PRODUCER_EPOCH, KAFKA_NO_SEQUENCE})

typedef struct kafka_producer_batch_meta { /* BatchMetadata */
    int32_t first_seq, last_seq;
    int64_t first_offset;
} kafka_producer_batch_meta;

typedef struct kafka_producer_entry { /* ProducerStateEntry */
    int16_t epoch;
    uint8_t count; /* batches kept, oldest at `oldest` */
    uint8_t oldest;
    kafka_producer_batch_meta batches[KAFKA_PRODUCER_BATCHES_RETAINED];
} kafka_producer_entry;

typedef struct kafka_producer_state {
    bl_idmap entries; /* producer id -> kafka_producer_entry; at most KAFKA_PRODUCER_IDS_MAX */
} kafka_producer_state;

typedef enum kafka_sequence_verdict {
    KAFKA_SEQUENCE_APPEND,        /* append it */
    KAFKA_SEQUENCE_DUPLICATE,     /* already in the log: answer with its offset */
    KAFKA_SEQUENCE_OUT_OF_ORDER,  /* OUT_OF_ORDER_SEQUENCE_NUMBER */
    KAFKA_SEQUENCE_INVALID_EPOCH, /* INVALID_PRODUCER_EPOCH */
} kafka_sequence_verdict;

void kafka_producer_state_init(kafka_producer_state *state);
void kafka_producer_state_free(kafka_producer_state *state);
/* Forgets every producer (before a rebuild). */
void kafka_producer_state_clear(kafka_producer_state *state);
/* The leader's checks of a client batch of `count` records (stamp.producer_id set);
 * for a duplicate, *duplicate_base is the original's base offset. */
kafka_sequence_verdict kafka_producer_state_check(const kafka_producer_state *state,
                                                  kafka_producer_stamp stamp, uint32_t count,
                                                  int64_t *duplicate_base);
/* A batch of `count` records at base_offset was appended (a no-op without a producer
 * id). */
void kafka_producer_state_update(kafka_producer_state *state, kafka_producer_stamp stamp,
                                 uint32_t count, int64_t base_offset);
/* The last sequence of a batch of `count` records starting at base_sequence (sequences
 * wrap after INT32_MAX: DefaultRecordBatch.incrementSequence). */
int32_t kafka_sequence_add(int32_t base_sequence, uint32_t count);

#endif
