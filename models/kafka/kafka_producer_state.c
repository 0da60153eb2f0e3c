/* kafka_producer_state.c — idempotent-producer state of one log (see
 * kafka_producer_state.h). */
#include "kafka_producer_state.h"

#include "../../engine/bl_assert.h"

int32_t kafka_sequence_add(int32_t base_sequence, uint32_t count)
{
    BL_ASSERT(base_sequence >= 0);
    /* DefaultRecordBatch.incrementSequence: past Integer.MAX_VALUE it starts over at 0 */
    int64_t next = (int64_t)base_sequence + count;
    return (int32_t)(next > INT32_MAX ? next - INT32_MAX - 1 : next);
}

void kafka_producer_state_init(kafka_producer_state *state)
{
    BL_IDMAP_INIT(&state->entries, kafka_producer_entry, KAFKA_PRODUCER_IDS_MAX,
                  "producer ids of a partition log");
}

void kafka_producer_state_free(kafka_producer_state *state)
{
    bl_idmap_free(&state->entries);
}

void kafka_producer_state_clear(kafka_producer_state *state)
{
    bl_idmap_free(&state->entries); /* empty, usable again */
}

static const kafka_producer_batch_meta *entry_batch(const kafka_producer_entry *entry, uint32_t i)
{
    return &entry->batches[(entry->oldest + i) % KAFKA_PRODUCER_BATCHES_RETAINED];
}

/* ProducerAppendInfo.inSequence */
static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

kafka_sequence_verdict kafka_producer_state_check(const kafka_producer_state *state,
                                                  kafka_producer_stamp stamp, uint32_t count,
                                                  int64_t *duplicate_base)
{
    BL_ASSERT(stamp.producer_id != KAFKA_NO_PRODUCER_ID && stamp.producer_epoch >= 0 &&
              stamp.base_sequence >= 0 && count > 0);
    const kafka_producer_entry *entry =
        BL_IDMAP_FIND(&state->entries, kafka_producer_entry, stamp.producer_id);
    if (entry == NULL) return KAFKA_SEQUENCE_APPEND; /* ProducerStateEntry.empty: any sequence */
    int32_t last_seq = kafka_sequence_add(stamp.base_sequence, count - 1);
    /* findDuplicateBatch: same epoch, the exact sequence range of a kept batch */
#ifdef BROKERLAB_MUTANT_IDEMPOTENT_WINDOW_OFF_BY_ONE
    uint32_t kept_first = entry->count > 1 ? 1 : 0; /* mutant: the oldest kept batch is skipped */
#else
    uint32_t kept_first = 0;
#endif
    if (stamp.producer_epoch == entry->epoch) {
        for (uint32_t i = kept_first; i < entry->count; i++) {
            const kafka_producer_batch_meta *kept = entry_batch(entry, i);
            if (kept->first_seq == stamp.base_sequence && kept->last_seq == last_seq) {
                *duplicate_base = kept->first_offset;
                return KAFKA_SEQUENCE_DUPLICATE;
            }
        }
    }
    /* checkProducerEpoch */
    if (stamp.producer_epoch < entry->epoch) return KAFKA_SEQUENCE_INVALID_EPOCH;
    /* checkSequence */
    if (stamp.producer_epoch != entry->epoch) {
        bool may_start_anywhere = entry->epoch == KAFKA_NO_PRODUCER_EPOCH;
        return stamp.base_sequence == 0 || may_start_anywhere ? KAFKA_SEQUENCE_APPEND
                                                              : KAFKA_SEQUENCE_OUT_OF_ORDER;
    }
    int32_t current_last =
        entry->count > 0 ? entry_batch(entry, entry->count - 1u)->last_seq : KAFKA_NO_SEQUENCE;
    return in_sequence(current_last, stamp.base_sequence) ? KAFKA_SEQUENCE_APPEND
                                                          : KAFKA_SEQUENCE_OUT_OF_ORDER;
}

void kafka_producer_state_update(kafka_producer_state *state, kafka_producer_stamp stamp,
                                 uint32_t count, int64_t base_offset)
{
    if (stamp.producer_id == KAFKA_NO_PRODUCER_ID) return;
    BL_ASSERT(count > 0 && base_offset >= 0 && stamp.base_sequence >= 0);
    bool created = false;
    kafka_producer_entry *entry =
        BL_IDMAP_PUT(&state->entries, kafka_producer_entry, stamp.producer_id, &created);
    if (created) entry->epoch = KAFKA_NO_PRODUCER_EPOCH;
    /* ProducerStateEntry.addBatch -> maybeUpdateProducerEpoch: a new epoch starts empty */
    if (entry->epoch != stamp.producer_epoch) {
        entry->epoch = stamp.producer_epoch;
        entry->count = 0;
        entry->oldest = 0;
    }
    if (entry->count == KAFKA_PRODUCER_BATCHES_RETAINED) { /* addBatchMetadata: drop the oldest */
        entry->oldest = (uint8_t)((entry->oldest + 1) % KAFKA_PRODUCER_BATCHES_RETAINED);
        entry->count--;
    }
    kafka_producer_batch_meta *slot =
        &entry->batches[(entry->oldest + entry->count) % KAFKA_PRODUCER_BATCHES_RETAINED];
    *slot =
        (kafka_producer_batch_meta){.first_seq = stamp.base_sequence,
                                    .last_seq = kafka_sequence_add(stamp.base_sequence, count - 1),
                                    .first_offset = base_offset};
    entry->count++;
}
