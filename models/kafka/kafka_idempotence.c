/* kafka_idempotence.c — the idempotent producer's client state (see kafka_idempotence.h). */
#include "kafka_idempotence.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/vec.h"
#include "kafka_producer.h"

static void entry_start(kafka_sequence_entry *entry, int16_t epoch)
{
    entry->epoch = epoch;
    entry->next_sequence = 0;
    entry->last_acked_sequence = KAFKA_NO_SEQUENCE;
}

void kafka_idempotence_init(kafka_idempotence *kid, bool enabled, uint32_t partition_count)
{
    memset(kid, 0, sizeof *kid);
    kid->enabled = enabled;
    kid->partition_count = partition_count;
    kid->partitions = calloc(partition_count, sizeof *kid->partitions);
    BL_ASSERT(kid->partitions != NULL);
    kafka_idempotence_reset(kid);
}

void kafka_idempotence_free(kafka_idempotence *kid)
{
    for (uint32_t p = 0; p < kid->partition_count; p++) free(kid->partitions[p].in_flight);
    free(kid->partitions);
    memset(kid, 0, sizeof *kid);
}

void kafka_idempotence_reset(kafka_idempotence *kid)
{
    kid->producer_id = KAFKA_NO_PRODUCER_ID;
    kid->epoch = KAFKA_NO_PRODUCER_EPOCH;
    kid->bump_required = false;
    for (uint32_t p = 0; p < kid->partition_count; p++) {
        kafka_sequence_entry *entry = &kid->partitions[p];
        entry_start(entry, KAFKA_NO_PRODUCER_EPOCH);
        entry->unresolved_next = KAFKA_NO_SEQUENCE;
        entry->rewrite = false;
        entry->in_flight_count = 0;
    }
}

void kafka_idempotence_set_producer_id(kafka_idempotence *kid, uint32_t producer_id)
{
    BL_ASSERT(kid->enabled && producer_id != KAFKA_NO_PRODUCER_ID);
    kid->producer_id = producer_id;
    kid->epoch = 0;
}

/* TxnPartitionEntry.startSequencesAtBeginning: the batches in flight get sequences from
 * 0 of the new epoch, in order. */
static void start_sequences_at_beginning(kafka_sequence_entry *entry, int16_t epoch)
{
    int32_t sequence = 0;
    for (uint32_t i = 0; i < entry->in_flight_count; i++) {
        kafka_batch *batch = entry->in_flight[i];
        batch->base_sequence = sequence;
        batch->producer_epoch = epoch;
        batch->reopened = true; /* ProducerBatch.resetProducerState */
        sequence = kafka_sequence_add(sequence, batch->count);
    }
    entry_start(entry, epoch);
    entry->next_sequence = sequence;
}

static void request_epoch_bump(kafka_idempotence *kid, uint32_t partition)
{
    kid->bump_required = true;
    kid->partitions[partition].rewrite = true;
}

/* isNextSequence: the sequence follows the last acknowledged one. */
static bool is_next_sequence(const kafka_sequence_entry *entry, int32_t sequence)
{
    return (int64_t)sequence - entry->last_acked_sequence == 1;
}

void kafka_idempotence_on_run(kafka_idempotence *kid)
{
    if (!kid->enabled) return;
    for (uint32_t p = 0; p < kid->partition_count; p++) { /* maybeResolveSequences */
        kafka_sequence_entry *entry = &kid->partitions[p];
        if (entry->unresolved_next == KAFKA_NO_SEQUENCE || entry->in_flight_count > 0) continue;
        /* later batches were acknowledged: the expired one's records did arrive */
        if (!is_next_sequence(entry, entry->next_sequence)) request_epoch_bump(kid, p);
        entry->unresolved_next = KAFKA_NO_SEQUENCE;
    }
    if (!kid->bump_required) return;
    /* bumpIdempotentProducerEpoch (an epoch at Short.MAX_VALUE would need a new id: the
     * scenarios bump far fewer times, asserted) */
    BL_ASSERTF(kid->epoch < INT16_MAX, "producer %u used up its epochs", kid->producer_id);
    if (kid->producer_id == KAFKA_NO_PRODUCER_ID) return; /* after InitProducerId */
    kid->epoch++;
    for (uint32_t p = 0; p < kid->partition_count; p++) {
        kafka_sequence_entry *entry = &kid->partitions[p];
        if (!entry->rewrite) continue;
        start_sequences_at_beginning(entry, kid->epoch);
        entry->unresolved_next = KAFKA_NO_SEQUENCE;
        entry->rewrite = false;
    }
    kid->bump_required = false;
}

bool kafka_idempotence_stop_drain(const kafka_idempotence *kid, const kafka_batch *first)
{
    if (!kid->enabled) return false;
    if (kid->producer_id == KAFKA_NO_PRODUCER_ID) return true;
    const kafka_sequence_entry *entry = &kid->partitions[first->partition];
    if (first->base_sequence == KAFKA_NO_SEQUENCE) {
        bool stale = entry->epoch != kid->epoch;
        return (entry->in_flight_count > 0 && stale) || entry->unresolved_next != KAFKA_NO_SEQUENCE;
    }
    /* a retry goes out only as the lowest sequence in flight */
    return entry->in_flight_count > 0 && first->base_sequence != entry->in_flight[0]->base_sequence;
}

void kafka_idempotence_on_drain(kafka_idempotence *kid, kafka_batch *batch)
{
    if (!kid->enabled) return;
    kafka_sequence_entry *entry = &kid->partitions[batch->partition];
    batch->reopened = false; /* ProducerBatch.close on the next drain */
    if (batch->base_sequence != KAFKA_NO_SEQUENCE) {
        BL_ASSERT(entry->in_flight_count > 0);
        return; /* a retry keeps its sequence (and stays in flight) */
    }
    /* maybeUpdateProducerIdAndEpoch: a stale partition with nothing in flight restarts */
    if (entry->epoch != kid->epoch) {
        BL_ASSERT(entry->in_flight_count == 0);
        entry_start(entry, kid->epoch);
    }
    batch->base_sequence = entry->next_sequence;
    batch->producer_epoch = kid->epoch;
    entry->next_sequence = kafka_sequence_add(entry->next_sequence, batch->count);
    BL_GROW(entry->in_flight, entry->in_flight_capacity, (uint64_t)entry->in_flight_count + 1,
            KAFKA_SEQUENCE_IN_FLIGHT_MAX, "batches of a partition in flight");
    entry->in_flight[entry->in_flight_count++] = batch; /* the highest sequence yet */
}

kafka_producer_stamp kafka_idempotence_stamp(const kafka_idempotence *kid, const kafka_batch *batch)
{
    if (!kid->enabled) return KAFKA_NO_STAMP;
    BL_ASSERT(batch->base_sequence != KAFKA_NO_SEQUENCE);
    return (kafka_producer_stamp){.producer_id = kid->producer_id,
                                  .producer_epoch = batch->producer_epoch,
                                  .base_sequence = batch->base_sequence};
}

static void remove_in_flight(kafka_idempotence *kid, kafka_batch *batch)
{
    if (batch->base_sequence == KAFKA_NO_SEQUENCE) return; /* never drained */
    kafka_sequence_entry *entry = &kid->partitions[batch->partition];
    for (uint32_t i = 0; i < entry->in_flight_count; i++) {
        if (entry->in_flight[i] != batch) continue;
        memmove(entry->in_flight + i, entry->in_flight + i + 1,
                (entry->in_flight_count - i - 1) * sizeof *entry->in_flight);
        entry->in_flight_count--;
        return;
    }
    BL_ASSERTF(false, "batch %u of partition %u is not in flight", batch->id, batch->partition);
}

void kafka_idempotence_on_success(kafka_idempotence *kid, kafka_batch *batch)
{
    if (!kid->enabled) return;
    kafka_sequence_entry *entry = &kid->partitions[batch->partition];
    int32_t last = kafka_sequence_add(batch->base_sequence, batch->count - 1);
    if (last > entry->last_acked_sequence) entry->last_acked_sequence = last;
    remove_in_flight(kid, batch);
}

bool kafka_idempotence_can_retry(kafka_idempotence *kid, const kafka_batch *batch,
                                 kafka_error error)
{
    if (!kid->enabled || error != KAFKA_OUT_OF_ORDER_SEQUENCE) return true;
    const kafka_sequence_entry *entry = &kid->partitions[batch->partition];
    bool unresolved = entry->unresolved_next != KAFKA_NO_SEQUENCE;
    /* not the next batch: an earlier one is missing for now; retry and see */
    if (!unresolved && (batch->reopened || !is_next_sequence(entry, batch->base_sequence)))
        return true;
    /* a real gap: bump, unless it may still resolve */
    if (!unresolved || batch->base_sequence == entry->unresolved_next)
        request_epoch_bump(kid, batch->partition);
    return true;
}

void kafka_idempotence_on_failed(kafka_idempotence *kid, kafka_batch *batch, kafka_error error,
                                 bool adjust)
{
    if (!kid->enabled) return;
    remove_in_flight(kid, batch);
    if (error == KAFKA_OUT_OF_ORDER_SEQUENCE || adjust) request_epoch_bump(kid, batch->partition);
}

void kafka_idempotence_on_expired(kafka_idempotence *kid, kafka_batch *batch)
{
    if (!kid->enabled) return;
    remove_in_flight(kid, batch);
    if (!batch->reenqueued || batch->base_sequence == KAFKA_NO_SEQUENCE) return;
    kafka_sequence_entry *entry = &kid->partitions[batch->partition];
    int32_t next =
        kafka_sequence_add(batch->base_sequence, batch->count); /* markSequenceUnresolved */
    if (entry->unresolved_next == KAFKA_NO_SEQUENCE || next > entry->unresolved_next)
        entry->unresolved_next = next;
}
