/* rabbitmq_node_internal.h — what rabbitmq_node.c lends the quorum queues' code
 * (rabbitmq_quorum.c): the wake-up's outbox, sends, the node's event kinds, and the
 * channel-side settle of a confirm. Not for the rest of the family. */
#ifndef BL_RABBITMQ_NODE_INTERNAL_H
#define BL_RABBITMQ_NODE_INTERNAL_H

#include "rabbitmq_node.h"

enum {
    NODE_TIMER_WRITEBACK = SIM_EVENT_MODEL_BASE,
    NODE_TIMER_TICK,       /* the distribution's ticks to the other nodes */
    NODE_TIMER_HEARTBEAT,  /* heartbeats to the clients, and the silent ones closed */
    NODE_EVENT_FSYNC_DONE, /* arg: queue index */
    NODE_EVENT_TTL,        /* arg: queue index: its head may have expired */
    NODE_TIMER_STATS,      /* the metrics scrape of the queues it leads */
    NODE_TIMER_DISK,       /* rabbit_disk_monitor's check of the free disk space */
    NODE_TIMER_ATEN,       /* aten's heartbeats and polls (quorum queues) */
    NODE_EVENT_ELECTION,   /* arg: queue index: a member's election timeout */
    NODE_EVENT_WAL_SYNCED, /* the WAL's fsync of a batch completed */
    NODE_TIMER_PAUSE,      /* pause_minority: a paused node looks for a majority */
};

/* A packet being built during the wake-up, sent at its end. */
typedef struct rmq_outbox {
    uint32_t dest; /* sim node id */
    rmq_kind kind;
    uint32_t client, queue, via, conn;
    uint32_t size_bytes;
    bool failed, persistent;
    uint64_t *ids;
    int32_t *keys;
    uint64_t *seqs;
    uint8_t *flags;
    uint32_t *origins; /* RMQ_ORIGIN per message */
    uint32_t count, capacity;
} rmq_outbox;

rmq_outbox *rmq_outbox_for(rmq_node *node, uint32_t dest, rmq_kind kind, uint32_t client,
                           uint32_t queue, uint32_t conn);
void rmq_outbox_add(rmq_outbox *box, uint64_t id, int32_t key, uint64_t seq, uint8_t flag,
                    uint32_t origin);
/* A packet with no messages, at once (to itself: handled at once). */
void rmq_node_send(rmq_node *node, uint32_t dest, rmq_msg *msg);
uint32_t rmq_node_sim_id(const rmq_node *node, uint32_t index);
rmq_queue_def *rmq_node_def(const rmq_node *node, uint32_t queue);
rmq_channel *rmq_node_channel(rmq_node *node, uint32_t client);
/* The queue's ready messages to its consumers, sent (the leader's effects). */
void rmq_node_deliver_ready(rmq_node *node, uint32_t queue, rmq_queue *q);
/* A message leaves `queue` for its dead-letter exchange (rabbit_dead_letter:publish). */
void rmq_node_dead_letter(rmq_node *node, uint32_t queue, const rmq_entry *e, rmq_death reason);
/* Credit flow on a publisher's connection: blocked, its socket is not read past the next
 * publish; unblocked, what it held is read on. */
void rmq_node_channel_flow(rmq_node *node, rmq_channel *ch, bool blocked);
/* A quorum queue accepted publish `seq` of the channel (its one answer for that queue). */
void rmq_node_quorum_confirmed(rmq_node *node, rmq_channel *ch, uint64_t seq);

#endif
