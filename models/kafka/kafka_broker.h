/* kafka_broker.h — a Kafka-style broker node (see kafka_broker.c). */
#ifndef BL_KAFKA_BROKER_H
#define BL_KAFKA_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/disk.h"
#include "kafka_group.h"
#include "kafka_log.h"
#include "kafka_proto.h"

typedef struct parked_fetch parked_fetch;

typedef struct kafka_broker {
    const kafka_cluster *cluster;
    uint32_t index;
    sim_node *node;
    disk disk;
    kafka_log **logs; /* per (topic, partition); NULL where not leader */
    uint32_t log_count;
    uint32_t topic_log_base[SCN_TOPICS_MAX];
    kafka_group *groups[SCN_GROUPS_MAX]; /* groups this broker coordinates */
    struct parked_fetch *parked;         /* long-polling fetches */
    uint32_t parked_count;
    sim_timer fetch_expiry; /* the earliest parked fetch deadline */
    uint64_t messages_since_flush;
    bool appended_since_wake;   /* parked fetches to look at after this wake-up */
    uint32_t record_size_bytes; /* of the last appended records, for fetch sizes */
} kafka_broker;

kafka_broker *kafka_broker_create(const kafka_cluster *cluster, uint32_t index);
void kafka_broker_free(kafka_broker *broker);

#endif
