/* kafka_placement.h — where a new topic's replicas go, as KRaft's controller places
 * them (metadata/.../placement/StripedReplicaPlacer.java) with one rack and every
 * broker registered and unfenced, which is how a brokerlab cluster starts. */
#ifndef BL_KAFKA_PLACEMENT_H
#define BL_KAFKA_PLACEMENT_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Places `partition_count` partitions of `replication_factor` replicas each over brokers
 * 0..broker_count-1, drawing from `rng` as StripedReplicaPlacer draws from the
 * controller's Random: partition p's replicas go to out[p * replication_factor + r],
 * the preferred leader (r = 0) first. 1 <= replication_factor <= broker_count (the
 * schema refuses more, as Kafka answers INVALID_REPLICATION_FACTOR). */
void kafka_place_topic(gsl_rng *rng, uint32_t broker_count, uint32_t partition_count,
                       uint32_t replication_factor, uint16_t *out);

#endif
