/* rabbitmq_consumer.h — a RabbitMQ consumer client (see rabbitmq_consumer.c). */
#ifndef BL_RABBITMQ_CONSUMER_H
#define BL_RABBITMQ_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "../../engine/ring.h"
#include "../../engine/sim.h"
#include "../common/dedup_store.h"
#include "rabbitmq_cluster.h"
#include "rabbitmq_proto.h"

/* A delivery in a worker's hands: when it is done, and what acks it. */
typedef struct rmq_in_hand {
    int64_t done_us;
    uint64_t tag;
    uint64_t msg_id;
    uint32_t channel; /* the connection it came on (a later one cannot ack it) */
    uint8_t inserted; /* put its id in the dedup store */
} rmq_in_hand;

typedef struct rmq_consumer {
    rmq_cluster *cluster;
    const scn_consumer *config;
    rabbitmq_consumer_options options;
    uint32_t entry, instance;
    uint32_t queue; /* the run's queue index it consumes */
    sim_node *node;
    dedup_store *dedup;
    gsl_rng *rng_processing;
    uint16_t hist_group, hist_topic;
    bool connected;
    uint32_t connection;  /* node index */
    uint32_t connections; /* connections made: names a channel for its acks */
    uint32_t attempts;
    bool consuming;         /* basic.consume-ok came */
    bool subscribe_pending; /* declared mid-run: its subscribe (from_now) is recorded at its
                               first basic.consume-ok, once the queue is bound */
    bool left;              /* past its queue's delete_at: it consumes no more */
    bool subscribed;        /* it recorded a subscribe */
    bool delete_pending;    /* instance 0 owes the queue.delete (it was disconnected) */
    int64_t last_heard_us;
    int64_t *worker_free_us;
    uint32_t *worker_streams;
    bl_ring *in_hand; /* per worker: rmq_in_hand in completion order */
    uint32_t round_robin_next;
    int64_t stall_until_us;
    uint64_t stall_held;
    uint64_t *ack_tags;
    uint32_t ack_capacity;
    sim_timer ack_timer, heartbeat_timer, reconnect_timer, declare_timer, delete_timer;
} rmq_consumer;

rmq_consumer *rmq_consumer_create(rmq_cluster *cluster, uint32_t entry, uint32_t instance,
                                  dedup_store *dedup);
void rmq_consumer_free(rmq_consumer *consumer);
void rmq_consumer_stall(rmq_consumer *consumer, int64_t until_us);
/* Deliveries in the workers' hands at now_us, not yet processed. */
uint64_t rmq_consumer_holding(const rmq_consumer *consumer, int64_t now_us);

#endif
