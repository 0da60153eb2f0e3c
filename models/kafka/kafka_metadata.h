/* kafka_metadata.h — the cluster metadata every Kafka-style node reads: for each
 * partition its replicas, leader, leader epoch and in-sync replicas, and for each
 * consumer group its coordinator, behind one API (what Kafka keeps in the broker's
 * MetadataCache and the client's Metadata). Brokers and clients ask it; nobody
 * computes a placement of their own.
 *
 * Placement: replicas in round robin over the brokers from a per-partition start
 * (topic index + partition), the first replica the preferred leader; with one replica
 * per partition (this model's scope until replication lands) the leader is the only
 * replica, the epoch stays 0 and the ISR is the leader alone. A group's coordinator is
 * the leader of its __consumer_offsets partition (hash(group.id) mod 50 in Kafka; here
 * the group's index stands for its hash, spread over the brokers). */
#ifndef BL_KAFKA_METADATA_H
#define BL_KAFKA_METADATA_H

#include <stdint.h>

#include "../../engine/scenario.h"
#include "kafka_options.h"

#define KAFKA_REPLICAS_MAX 1 /* replication_factor: 1 until replication lands */

typedef struct kafka_partition_state {
    uint16_t replicas[KAFKA_REPLICAS_MAX]; /* broker indices, preferred leader first */
    uint16_t replica_count;
    uint16_t leader; /* broker index */
    uint32_t leader_epoch;
    uint32_t isr_brokers; /* bit b: broker b is in sync (SCN_BROKERS_MAX <= 32) */
} kafka_partition_state;

typedef struct kafka_metadata {
    uint32_t broker_count;
    uint32_t topic_count;
    uint32_t topic_partitions[SCN_TOPICS_MAX];
    uint32_t topic_base[SCN_TOPICS_MAX]; /* index of the topic's partition 0 */
    kafka_partition_state *partitions;   /* every topic's, topic by topic */
    uint32_t partition_count;
    uint16_t coordinators[SCN_GROUPS_MAX]; /* broker index of each group's coordinator */
    uint32_t group_count;
} kafka_metadata;

_Static_assert(SCN_BROKERS_MAX <= 32, "the ISR is a 32-bit set of brokers");

void kafka_metadata_init(kafka_metadata *metadata, const scn_scenario *scenario,
                         const kafka_topic_options *topics);
void kafka_metadata_free(kafka_metadata *metadata);
const kafka_partition_state *kafka_metadata_partition(const kafka_metadata *metadata,
                                                      uint32_t topic, uint32_t partition);
/* The broker index leading partition `partition` of topic `topic`. */
uint32_t kafka_metadata_leader(const kafka_metadata *metadata, uint32_t topic, uint32_t partition);
/* The broker index coordinating consumer group `group` (its scenario entry). */
uint32_t kafka_metadata_coordinator(const kafka_metadata *metadata, uint32_t group);

#endif
