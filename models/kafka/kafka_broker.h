/* kafka_broker.h — a Kafka-style broker node (see kafka_broker.c). */
#ifndef BL_KAFKA_BROKER_H
#define BL_KAFKA_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/disk.h"
#include "kafka_group.h"
#include "kafka_partition.h"
#include "kafka_proto.h"

typedef struct parked_fetch parked_fetch;
typedef struct delayed_produce delayed_produce;

/* The most produce requests one broker holds unanswered while their records replicate
 * (Kafka's DelayedProduce purgatory) or their flush fsync runs: each producer instance
 * (fewer than SIM_NODES_MAX nodes) keeps at most max_in_flight (<= 100) requests on one
 * connection. The array grows to what is held. */
#define KAFKA_DELAYED_PRODUCES_MAX   (SIM_NODES_MAX * 100u)
/* Producer ids a broker gets from the controller at a time (ProducerIdsBlock's
 * PRODUCER_ID_BLOCK_SIZE). */
#define KAFKA_PRODUCER_ID_BLOCK_SIZE 1000u

/* A follower's fetcher towards one leader (ReplicaFetcherThread with
 * num.replica.fetchers 1): one fetch in flight at a time, over every partition this
 * broker follows there. */
typedef struct kafka_fetcher {
    bool in_flight;
    uint32_t correlation_id; /* of the fetch in flight */
    bool retry_scheduled;    /* a backoff is running */
    int64_t sent_us;         /* of the fetch in flight */
    sim_timer timeout;       /* fires no later than the fetch in flight's replica.socket.timeout.ms
                          (armed lazily: one event per timeout period, not per fetch) */
} kafka_fetcher;

typedef struct kafka_broker {
    kafka_cluster *cluster;
    uint32_t index;
    sim_node *node;
    disk disk;
    kafka_partition **partitions; /* per (topic, partition); NULL where not a replica */
    uint32_t partition_count;
    uint32_t topic_partition_base[SCN_TOPICS_MAX + 1]; /* __consumer_offsets' last */
    kafka_group *groups[SCN_GROUPS_MAX];               /* groups this broker coordinates */
    struct parked_fetch *parked;                       /* long-polling fetches */
    uint32_t parked_count;
    sim_timer fetch_expiry;          /* the earliest parked fetch deadline */
    struct delayed_produce *delayed; /* requests waiting for the ISR or an fsync */
    uint32_t delayed_count, delayed_capacity;
    sim_timer produce_expiry;                /* the earliest delayed produce deadline */
    sim_timer group_timer;                   /* the coordinator's earliest group deadline */
    kafka_fetcher fetchers[SCN_BROKERS_MAX]; /* by leader broker index */
    /* Its own metadata image (MetadataCache): what it serves, leads and follows. */
    kafka_metadata image;
    bool image_ready;      /* false after a restart until the controller's answer */
    uint32_t broker_epoch; /* 0 = not registered (BrokerLifecycleManager) */
    uint32_t registration_attempts;
    bool want_fence; /* recovering its logs: not ready to be unfenced */
    uint32_t next_correlation_id;
    uint64_t next_produce_id; /* names a delayed produce to the fsync it waits for */
    /* its block of producer ids [next, end) (ProducerIdManager); empty after a start */
    uint32_t producer_id_next, producer_id_block_end;
    bool parked_may_answer; /* an append or an HW rise since the last look at the
                                   parked fetches and delayed produces */
} kafka_broker;

kafka_broker *kafka_broker_create(kafka_cluster *cluster, uint32_t index);
void kafka_broker_free(kafka_broker *broker);
/* This broker's replica of (topic, partition), or NULL (invariant checks, tests). */
const kafka_partition *kafka_broker_replica(const kafka_broker *broker, uint32_t topic,
                                            uint32_t partition);

#endif
