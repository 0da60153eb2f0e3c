/* kafka_placement.c — StripedReplicaPlacer's single-rack path (see kafka_placement.h).
 *
 * Kafka 4.0's placer keeps, per topic, a RackList over Rack objects, each with a
 * BrokerList of its unfenced brokers sorted by id. With one rack it reduces to this:
 * - BrokerList.initialize draws its start offset r = nextInt(n); RackList's own offset
 *   draws nextInt(1) (always 0, but it consumes a draw);
 * - each partition is one "epoch" of the BrokerList: a new epoch resets its index and
 *   moves its offset by one, and the replicas are the next RF brokers from there, so
 *   partition p < n gets the RF consecutive brokers from b[(r + p) mod n];
 * - once the RackList's epoch reaches the number of unfenced brokers (n > 1) it
 *   shuffles the broker list (Collections.shuffle with the same Random) and restarts
 *   its epochs, so partitions n..2n-1 take consecutive runs of the shuffled list.
 * Every broker thus leads one of each n consecutive partitions, and holds RF of each n
 * replicas' worth: leaders and replicas are balanced within one. */
#include "kafka_placement.h"

#include "../../engine/bl_assert.h"
#include "../../engine/scenario.h"

typedef struct broker_list { /* StripedReplicaPlacer.BrokerList */
    uint16_t brokers[SCN_BROKERS_MAX];
    uint32_t size, index, offset, epoch;
} broker_list;

/* BrokerList.next(epoch). */
static uint16_t broker_list_next(broker_list *list, uint32_t epoch)
{
    if (list->epoch != epoch) {
        list->epoch = epoch;
        list->index = 0;
        list->offset = (list->offset + 1) % list->size;
    }
    BL_ASSERTF(list->index < list->size, "a partition asked for more replicas than brokers");
    uint16_t broker = list->brokers[(list->index + list->offset) % list->size];
    list->index++;
    return broker;
}

/* Collections.shuffle(list, random): for i = size .. 2, swap(i - 1, nextInt(i)). */
static void broker_list_shuffle(broker_list *list, gsl_rng *rng)
{
    for (uint32_t i = list->size; i > 1; i--) {
        uint32_t j = (uint32_t)gsl_rng_uniform_int(rng, i);
        uint16_t swap = list->brokers[i - 1];
        list->brokers[i - 1] = list->brokers[j];
        list->brokers[j] = swap;
    }
}

void kafka_place_topic(gsl_rng *rng, uint32_t broker_count, uint32_t partition_count,
                       uint32_t replication_factor, uint16_t *out)
{
    BL_ASSERT(broker_count >= 1 && broker_count <= SCN_BROKERS_MAX);
    BL_ASSERTF(replication_factor >= 1 && replication_factor <= broker_count,
               "replication factor %u over %u brokers (INVALID_REPLICATION_FACTOR)",
               replication_factor, broker_count);
    broker_list list = {.size = broker_count};
    for (uint32_t b = 0; b < broker_count; b++) list.brokers[b] = (uint16_t)b; /* sorted */
    list.offset = (uint32_t)gsl_rng_uniform_int(rng, broker_count); /* BrokerList.initialize */
    (void)gsl_rng_uniform_int(rng, 1); /* RackList's rack offset: nextInt(rackNames.size()) */
    uint32_t epoch = 0;                /* RackList.epoch */
    for (uint32_t p = 0; p < partition_count; p++) {
        if (epoch == broker_count && broker_count > 1) { /* RackList.place: reshuffle */
            broker_list_shuffle(&list, rng);
            epoch = 0;
        }
        uint16_t *replicas = &out[(uint64_t)p * replication_factor];
        for (uint32_t r = 0; r < replication_factor; r++) {
            replicas[r] = broker_list_next(&list, epoch);
            for (uint32_t q = 0; q < r; q++)
                BL_ASSERTF(replicas[q] != replicas[r], "broker %u twice in partition %u",
                           replicas[r], p);
        }
        epoch++;
    }
}
