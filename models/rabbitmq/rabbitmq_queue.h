/* rabbitmq_queue.h — one classic queue (CQ): its messages in order, the consumers
 * attached to it with their unacknowledged deliveries, and its index on its home node's
 * disk. Pure bookkeeping, no simulation: the node (rabbitmq_node.c) calls it and sends
 * what it answers, and tests/rabbitmq/test_rabbitmq_queue.c drives it by hand.
 *
 * Messages. Each enqueued message gets the queue's next sequence number and one entry in
 * `table`, a ring indexed by sequence number from `base_seq`: ready, unacked (delivered to
 * a consumer, which holds it under a delivery tag) or done. `ready` lists the ready ones
 * in order; a requeued message goes back to its place (rabbit_variable_queue's requeue
 * keeps the sequence id), so the queue stays FIFO by first arrival (R6).
 *
 * Disk (R2-R4). A persistent message in a durable queue is written to the queue's index
 * when the queue syncs — when its mailbox empties or on its sync timer (rabbit_amqqueue_
 * process) — never earlier: until then it lives only in the queue process, and a kill -9
 * loses it. A message acknowledged before that write is never written (CQ v2: "a message
 * delivered and acked before its flush is never written"), and an ack of a written one is
 * written at the next sync. A confirm waits for the write (and, up to 3.12, its fsync:
 * the node decides). At a restart the queue keeps the written messages whose ack did not
 * survive, all flagged redelivered (rabbit_variable_queue's recovery marks every
 * recovered message delivered); a transient queue is deleted (R2). Entries stay in the
 * table until their ack is durable, so that recovery can tell.
 *
 * Limits (R11-R13; rabbit_amqqueue_process). A queue with a message TTL stamps each
 * message with its expiry at enqueue (a requeued message keeps it) and drops the ready
 * messages past it from the head only (drop_expired_msgs, run before deliveries and on
 * the queue's TTL timer): a message behind the head waits. `max_length` bounds the ready
 * messages (unacked ones do not count): with overflow drop-head the oldest ready
 * messages go once a publish takes the queue over it (maybe_drop_head), with
 * reject-publish the publish that would is refused and its confirm nacked, and with
 * reject-publish-dlx it is also dead-lettered (will_overflow). Publishes arriving in one
 * wake-up are offered to the consumers before drop-head applies; reject-publish counts
 * them as they arrive, so a burst larger than the room left may be refused where
 * RabbitMQ, handing some to consumers on the way, would take them. A message that goes this
 * way is dead-lettered when the queue has a dead-letter exchange (the node republishes
 * it, at most once, R12) and dropped when it has none; the counters say which, as
 * rabbit_global_counters' messages_dead_lettered{reason, strategy} do.
 *
 * Consumers (R6). Deliveries go round robin over the attached consumers with room under
 * their prefetch (rabbit_queue_consumers moves a consumer to the back of the queue once
 * it got one); a consumer with no_ack holds nothing. Detaching a consumer (its channel
 * closed) requeues everything it held, flagged redelivered. With single active consumer
 * (x-single-active-consumer, 3.8+) only the consumer attached first of those attached
 * gets deliveries; when it detaches, the next in attach order takes over, with the
 * requeued messages at the front (rabbit_queue_consumers' single active mode). */
#ifndef BL_RABBITMQ_QUEUE_H
#define BL_RABBITMQ_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../engine/disk.h"
#include "../../engine/ring.h"

#define RMQ_QUEUE_MESSAGES_MAX  (1u << 30) /* entries of one queue's table */
#define RMQ_QUEUE_CONSUMERS_MAX 64         /* SCN_INSTANCES_MAX: one entry's instances */
#define RMQ_NO_CONSUMER         UINT32_MAX
/* A consumer's tags after its n-th move to a new master start at n << 32. */
#define RMQ_TAG_GENERATION(n)   ((uint64_t)(n) << 32)
/* Bytes of an index record besides the body of an embedded message: the v1 index's
 * publish record (rabbit_queue_index ?PUB_RECORD_BODY_BYTES: guid, expiry, size) and
 * its ack record (a journal entry of the sequence id). */
#define RMQ_PUB_RECORD_BYTES    64
#define RMQ_ACK_RECORD_BYTES    8

typedef enum rmq_entry_state {
    RMQ_ENTRY_READY = 0,
    RMQ_ENTRY_UNACKED,
    RMQ_ENTRY_DONE, /* acked (or delivered with no_ack); kept until its ack is durable */
} rmq_entry_state;

enum {
    RMQ_FLAG_PERSISTENT = 1u << 0,
    RMQ_FLAG_REDELIVERED = 1u << 1,
    RMQ_FLAG_CONFIRM_WAITS = 1u << 2, /* its confirm waits for its write */
    RMQ_FLAG_TO_WRITE = 1u << 3,      /* listed in to_write */
};

/* Why a message left its queue other than by consumption (x-death's reason, R12). */
typedef enum rmq_death {
    RMQ_DEATH_NONE = 0,
    RMQ_DEATH_EXPIRED,
    RMQ_DEATH_MAXLEN,
    RMQ_DEATH_REJECTED,
    RMQ_DEATH_DELIVERY_LIMIT, /* a quorum queue's message returned too often (R10) */
    RMQ_DEATH_COUNT
} rmq_death;
/* "expired", "maxlen", "rejected", "delivery_limit" */
const char *rmq_death_name(rmq_death reason);

/* max-length's overflow behaviour (R13). */
typedef enum rmq_overflow {
    RMQ_OVERFLOW_DROP_HEAD = 0,
    RMQ_OVERFLOW_REJECT_PUBLISH,
    RMQ_OVERFLOW_REJECT_PUBLISH_DLX,
} rmq_overflow;

#define RMQ_NO_TTL        (-1)
#define RMQ_NO_MAX_LENGTH UINT32_MAX

/* A queue's limits: its x-message-ttl, x-max-length, x-overflow, and whether it has a
 * dead-letter exchange (x-dead-letter-exchange; where it routes is the node's). */
typedef struct rmq_queue_limits {
    int64_t message_ttl_us; /* RMQ_NO_TTL, or > 0 */
    uint32_t max_length;    /* ready messages; RMQ_NO_MAX_LENGTH */
    rmq_overflow overflow;
    bool dead_letter;
    bool delivery_limited;   /* a quorum queue's x-delivery-limit: ... */
    uint32_t delivery_limit; /* ... returns a message may have */
} rmq_queue_limits;

typedef struct rmq_entry {
    uint64_t msg_id;      /* 0: a hole left by recovery */
    int64_t expires_us;   /* when it expires (its TTL from enqueue); RMQ_NO_TTL */
    uint64_t pub_end;     /* file offset after its publish record; 0 = not written */
    uint64_t ack_end;     /* file offset after its ack record; 0 = not written */
    uint64_t confirm_seq; /* the publisher channel's sequence number; 0 = no confirm */
    uint64_t tag;         /* delivery tag while unacked */
    int32_t key;
    uint32_t channel;  /* the publisher's client node id (confirm) */
    uint32_t via;      /* the node its publish came through (confirm) */
    uint32_t consumer; /* consumer slot holding it while unacked */
    uint8_t state;     /* rmq_entry_state */
    uint8_t flags;
    uint8_t death;           /* a dead letter: the rmq_death it died of in death_queue */
    uint16_t delivery_count; /* times it was returned (requeued by a detach) */
    uint16_t publisher;      /* its producer entry (a dead letter's original routing key) */
    uint16_t death_queue;
} rmq_entry;

/* A consumer attached to the queue (basic.consume on a channel). */
typedef struct rmq_consumer_slot {
    bool attached;
    bool suspected;    /* a quorum queue's consumer on a node seen down: attached, no
                       deliveries until its node is up (rabbit_fifo suspected_down) */
    uint32_t client;   /* the consumer's client node id */
    uint32_t conn;     /* its connection number (set by the node after attaching) */
    uint32_t via;      /* the node its connection is on */
    uint32_t prefetch; /* 0 = unlimited */
    bool no_ack;
    uint64_t tag_base;     /* its tags are tag_base + 1, + 2, ...: a channel numbers its
                           deliveries, so one that follows its queue to a new master goes
                           on past what the old one delivered (RMQ_TAG_GENERATION) */
    uint64_t next_tag;     /* its channel's next delivery tag, from tag_base + 1 */
    uint64_t attach_order; /* when it attached, in the queue's count of attaches */
    uint64_t first_tag;    /* the tag of held[0] */
    bl_ring held;          /* uint64_t seq per tag from first_tag; 0 = acked */
    uint32_t unacked;      /* live entries of held */
} rmq_consumer_slot;

/* What a confirm goes to: a publisher's channel (RMQ_CHANNEL: its client node id and
 * connection number in one word). */
#define RMQ_CHANNEL(client, conn)   ((uint32_t)(conn) << 16 | (uint32_t)(client))
#define RMQ_CHANNEL_CLIENT(channel) ((channel)&0xffffu)
#define RMQ_CHANNEL_CONN(channel)   ((channel) >> 16)
typedef struct rmq_confirm {
    uint32_t channel, via;
    uint64_t seq;       /* the publisher channel's sequence number */
    uint64_t queue_seq; /* the message's sequence number in the queue (set by the queue) */
} rmq_confirm;

/* A publish as a queue takes it in (rmq_queue_publish). */
typedef struct rmq_publish {
    uint64_t msg_id;
    int32_t key;
    bool persistent;
    uint16_t publisher;
    const rmq_confirm *confirm; /* NULL: no confirm */
    uint8_t death;              /* a dead letter's rmq_death (RMQ_DEATH_NONE if none) ... */
    uint16_t death_queue;       /* ... and the queue it died in */
} rmq_publish;

typedef enum rmq_publish_result {
    RMQ_PUBLISH_CONFIRM_NOW = 0, /* enqueued; its confirm (if any) may go now */
    RMQ_PUBLISH_CONFIRM_WAITS,   /* enqueued; its confirm waits for its write */
    RMQ_PUBLISH_REJECTED,        /* refused by overflow reject-publish(-dlx): nack it */
} rmq_publish_result;

/* What a mirrored queue's master tells its mirrors (rabbit_mirror_queue_master broadcasts
 * each over the queue's GM group): a message delivered, consumed, requeued. */
typedef enum rmq_change {
    RMQ_CHANGE_DELIVERED = 1,
    RMQ_CHANGE_CONSUMED,
    RMQ_CHANGE_REQUEUED
} rmq_change;
typedef void (*rmq_observer_fn)(void *ctx, uint32_t queue, uint64_t seq, rmq_change change);

typedef struct rmq_queue_counters {
    uint64_t enqueued, delivered, redelivered, acked, requeued, recovered, lost_at_restart;
    uint64_t written, writes_skipped; /* persistent messages written / acked before their write */
    /* limits (R11-R13): by reason, and whether each went to the dead-letter exchange or
     * was dropped (rabbit_global_counters: strategy at_most_once / disabled) */
    uint64_t died[RMQ_DEATH_COUNT];
    uint64_t dead_lettered, dropped;
    uint64_t rejected_publishes; /* overflow reject-publish(-dlx) */
} rmq_queue_counters;

/* A message leaves the queue for its dead-letter exchange: the node republishes it. */
typedef void (*rmq_dead_letter_fn)(void *ctx, uint32_t queue, const rmq_entry *entry,
                                   rmq_death reason);

typedef struct rmq_queue {
    uint32_t index; /* the run's queue index */
    bool durable;
    uint32_t message_size_bytes; /* what a publish record holds besides its header */
    bl_ring table;               /* rmq_entry by sequence number from base_seq */
    uint64_t base_seq;           /* sequence number of table[0]; the first is 1 */
    bl_ring ready;               /* uint64_t seqs of ready entries, ascending */
    bl_ring to_write;            /* uint64_t seqs of persistent entries not yet written */
    bl_ring acks_to_write;       /* uint64_t seqs acked after their write, ack not written */
    disk_file *file;             /* the index on the home node's disk; NULL if transient */
    rmq_consumer_slot consumers[RMQ_QUEUE_CONSUMERS_MAX];
    uint32_t consumer_count;  /* slots in use or used: attached ones have `attached` */
    uint32_t round_robin;     /* the slot to try first for the next delivery */
    bool single_active;       /* x-single-active-consumer */
    uint64_t attaches;        /* basic.consumes it has taken (attach_order's clock) */
    rmq_observer_fn observer; /* a mirrored queue's master: every change, for its mirrors */
    void *observer_ctx;
    rmq_queue_limits limits;
    rmq_dead_letter_fn dead_letter; /* with limits.dead_letter: where dead letters go */
    void *dead_letter_ctx;
    rmq_queue_counters counters;
} rmq_queue;

void rmq_queue_init(rmq_queue *q, uint32_t index, bool durable, uint32_t message_size_bytes,
                    disk_file *file);
void rmq_queue_free(rmq_queue *q);
/* A deep copy of a queue with no file (a quorum queue's state machine, for its snapshot). */
void rmq_queue_clone(rmq_queue *dst, const rmq_queue *src);

uint32_t rmq_queue_ready(const rmq_queue *q);
uint64_t rmq_queue_unacked(const rmq_queue *q);
rmq_entry *rmq_queue_entry(rmq_queue *q, uint64_t seq);

/* Sets the queue's limits (no TTL, no max length, no dead-letter exchange by default). */
void rmq_queue_set_limits(rmq_queue *q, const rmq_queue_limits *limits,
                          rmq_dead_letter_fn dead_letter, void *ctx);

/* Takes a publish in at now_us (maybe_deliver_or_enqueue): refused if the overflow rule
 * says so, else enqueued with its expiry, dropping (or dead-lettering) the head past
 * max_length. A confirm may go now for a transient message or queue, else it waits for
 * the message's write. */
rmq_publish_result rmq_queue_publish(rmq_queue *q, const rmq_publish *publish, int64_t now_us);
/* rmq_queue_publish of a message without limits' concerns (no death, time 0): returns
 * whether its confirm may go now. */
bool rmq_queue_enqueue(rmq_queue *q, uint64_t msg_id, int32_t key, bool persistent,
                       const rmq_confirm *confirm);
/* maybe_drop_head, once the publishes that arrived have been offered to the consumers
 * with room (RabbitMQ hands a message to such a consumer before enqueueing it, and
 * drops the head only of what it enqueued): the oldest ready messages die while more
 * than max_length are ready (overflow drop-head). Returns how many. */
uint32_t rmq_queue_drop_head(rmq_queue *q);
/* Whether a publish now would be refused (overflow reject-publish or -dlx, the ready
 * messages at max_length: will_overflow). */
bool rmq_queue_would_reject(const rmq_queue *q);
/* drop_expired_msgs: the ready messages at the head whose expiry is <= now_us leave
 * (dead-lettered or dropped). Returns the expiry of the new head, or RMQ_NO_TTL: when
 * the queue's TTL timer is due. */
int64_t rmq_queue_expire(rmq_queue *q, int64_t now_us);

/* Attaches a consumer (a new channel's basic.consume, tags from tag_base + 1); returns
 * its slot. */
uint32_t rmq_queue_attach(rmq_queue *q, uint32_t client, uint32_t via, uint32_t prefetch,
                          bool no_ack, uint64_t tag_base);
/* The attached slot of a client, or RMQ_NO_CONSUMER. */
uint32_t rmq_queue_consumer_of(const rmq_queue *q, uint32_t client);
/* Requeues what it holds (redelivered; a quorum queue counts the return), keeping it
 * attached. Returns how many were requeued. */
uint32_t rmq_queue_return_all(rmq_queue *q, uint32_t slot);
/* Detaches it, requeueing what it held (redelivered). Returns how many were requeued. */
uint32_t rmq_queue_detach(rmq_queue *q, uint32_t slot);

/* The next delivery: a ready message for the next consumer with room, round robin.
 * Returns false when no message or no consumer with room is left; else fills *slot,
 * *entry (now unacked under *tag, or done for a no_ack consumer). */
bool rmq_queue_next_delivery(rmq_queue *q, uint32_t *slot, rmq_entry **entry, uint64_t *tag);

/* A consumer's basic.ack of one tag. Returns false for a tag it does not hold (acked
 * twice or never delivered: PRECONDITION_FAILED in RabbitMQ; the caller asserts). A
 * confirm that still waited for the message's write goes at the next sync, which skips
 * the write. */
bool rmq_queue_ack(rmq_queue *q, uint32_t slot, uint64_t tag);

/* The queue's sync: writes the publish records of the persistent messages waiting and
 * the ack records of written ones into the file (the caller fsyncs it, or not, by
 * version). Calls confirmed(ctx, confirm) for every message whose confirm waited for this
 * write (or for a consumption that made it unnecessary). A full disk refuses the write:
 * what did not fit waits for the next sync. Returns the bytes written. */
typedef void (*rmq_confirm_fn)(void *ctx, const rmq_confirm *confirm);
uint64_t rmq_queue_sync(rmq_queue *q, disk *d, int64_t now_us, rmq_confirm_fn confirmed, void *ctx);
bool rmq_queue_sync_pending(const rmq_queue *q);

/* Drops done entries from the front once their ack (if they were written) is durable. */
void rmq_queue_trim(rmq_queue *q);

/* Where in the index the oldest record still needed begins (the publish record of the
 * oldest entry kept; UINT64_MAX if none): what is before it may be deleted, as the
 * index's segment files are once all their messages are acked. */
uint64_t rmq_queue_live_from_bytes(const rmq_queue *q);
/* The sequence number the next enqueued message gets. */
uint64_t rmq_queue_next_seq(const rmq_queue *q);
/* The lowest sequence number of a message not yet consumed (next_seq if none). */
uint64_t rmq_queue_oldest_live(const rmq_queue *q);
/* A mirror's copy of its master's changes, by the master's sequence numbers (a mirror's
 * numbering starts where the master's was when it joined: rmq_queue_start_at). Changes
 * of a message older than the mirror are ignored. */
void rmq_queue_start_at(rmq_queue *q, uint64_t seq);
void rmq_queue_mirror_change(rmq_queue *q, uint64_t seq, rmq_change change);
/* A mirror becomes its queue's master (rabbit_mirror_queue_slave:promote_me): every
 * message its old master had delivered and not seen acked is requeued, flagged
 * redelivered (R8). Returns how many. */
uint32_t rmq_queue_promote(rmq_queue *q);

/* The home node restarted with `surviving_bytes` of the index file left (its size after
 * a kill -9, its durable size after a power loss): nothing of the queue process's memory
 * survived (consumers, unwritten messages, confirms waiting), a durable queue keeps its
 * written, unacknowledged messages, flagged redelivered, and a transient one comes back
 * empty (deleted at boot, declared again by its clients). */
void rmq_queue_recover(rmq_queue *q, uint64_t surviving_bytes);
/* (The limits' counters live in the process's memory: recovery starts them from 0.) */

#endif
