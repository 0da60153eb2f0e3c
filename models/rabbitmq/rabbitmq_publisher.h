/* rabbitmq_publisher.h — a RabbitMQ publisher client (see rabbitmq_publisher.c). */
#ifndef BL_RABBITMQ_PUBLISHER_H
#define BL_RABBITMQ_PUBLISHER_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/ring.h"
#include "../../engine/sim.h"
#include "../../engine/workload.h"
#include "rabbitmq_cluster.h"
#include "rabbitmq_proto.h"

/* A message the publisher holds: offered and not yet written, or written and not yet
 * confirmed (committed). */
typedef struct rmq_publish_item {
    uint64_t msg_id;
    uint64_t seq;     /* its channel sequence number once written (confirm mode) */
    int64_t first_us; /* when the application offered it (delivery_timeout runs from it) */
    int64_t ready_us; /* when it may be written: its write's time, or a nack's backoff end */
    int64_t sent_us;  /* when it was last written */
    int32_t key;
    uint8_t maybe_written; /* an earlier attempt may have arrived: a give-up is `info` */
    uint8_t done;
} rmq_publish_item;

typedef struct rmq_publisher {
    rmq_cluster *cluster;
    const scn_producer *config;
    rabbitmq_producer_options options;
    uint32_t entry, instance;
    sim_node *node;
    uint64_t *next_msg_id;
    wl_generator generator;
    uint32_t *key_seq;
    uint16_t hist_topic;
    uint32_t send_stream;
    bool connected;
    bool blocked;         /* connection.blocked (R14): its writes wait, as on a socket the broker
                     stopped reading, until connection.unblocked */
    uint32_t connection;  /* the node index of its connection */
    uint32_t attempts;    /* connections lost: each reconnects to the next node */
    uint32_t connections; /* connections opened: the current one's number */
    int64_t last_heard_us;
    uint64_t next_seq;
    bl_ring outgoing;    /* rmq_publish_item: to write */
    bl_ring unconfirmed; /* rmq_publish_item: written, by seq (confirm mode), or the
                            uncommitted batch (tx mode) */
    bool commit_waiting;
    uint64_t *acked_ids;
    uint32_t acked_capacity;
    sim_timer write_timer, confirm_timer, heartbeat_timer, reconnect_timer;
} rmq_publisher;

rmq_publisher *rmq_publisher_create(rmq_cluster *cluster, uint32_t entry, uint32_t instance,
                                    uint64_t *next_msg_id);
void rmq_publisher_free(rmq_publisher *pub);
/* Messages offered by now_us and not yet acknowledged (what a stop hits). */
uint64_t rmq_publisher_unacked(const rmq_publisher *pub, int64_t now_us);

#endif
