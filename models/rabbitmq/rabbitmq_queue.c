/* rabbitmq_queue.c — a classic queue's messages, consumers and index (see
 * rabbitmq_queue.h). */
#include "rabbitmq_queue.h"

#include <string.h>

#include "../../engine/bl_assert.h"

#define RMQ_HELD_MAX \
    (1u << 20) /* deliveries one consumer holds: prefetch <= 65535, and a
                                   no_ack consumer holds none */

void rmq_queue_init(rmq_queue *q, uint32_t index, bool durable, uint32_t message_size_bytes,
                    disk_file *file)
{
    memset(q, 0, sizeof *q);
    q->index = index;
    q->durable = durable;
    q->message_size_bytes = message_size_bytes;
    q->file = file;
    q->base_seq = 1;
    q->limits = (rmq_queue_limits){.message_ttl_us = RMQ_NO_TTL, .max_length = RMQ_NO_MAX_LENGTH};
    BL_RING_INIT(&q->table, rmq_entry, RMQ_QUEUE_MESSAGES_MAX, "a classic queue's messages");
    BL_RING_INIT(&q->ready, uint64_t, RMQ_QUEUE_MESSAGES_MAX, "a classic queue's ready messages");
    BL_RING_INIT(&q->to_write, uint64_t, RMQ_QUEUE_MESSAGES_MAX,
                 "a classic queue's messages waiting for their write");
    BL_RING_INIT(&q->acks_to_write, uint64_t, RMQ_QUEUE_MESSAGES_MAX,
                 "a classic queue's acks waiting for their write");
}

void rmq_queue_clone(rmq_queue *dst, const rmq_queue *src)
{
    BL_ASSERT(src->file == NULL); /* a state machine's, with nothing on a disk */
    *dst = *src;
    bl_ring_copy(&dst->table, &src->table);
    bl_ring_copy(&dst->ready, &src->ready);
    bl_ring_copy(&dst->to_write, &src->to_write);
    bl_ring_copy(&dst->acks_to_write, &src->acks_to_write);
    for (uint32_t c = 0; c < src->consumer_count; c++)
        bl_ring_copy(&dst->consumers[c].held, &src->consumers[c].held);
}

void rmq_queue_free(rmq_queue *q)
{
    bl_ring_free(&q->table);
    bl_ring_free(&q->ready);
    bl_ring_free(&q->to_write);
    bl_ring_free(&q->acks_to_write);
    for (uint32_t c = 0; c < q->consumer_count; c++) bl_ring_free(&q->consumers[c].held);
}

uint32_t rmq_queue_ready(const rmq_queue *q)
{
    return bl_ring_count(&q->ready);
}

uint64_t rmq_queue_unacked(const rmq_queue *q)
{
    uint64_t n = 0;
    for (uint32_t c = 0; c < q->consumer_count; c++)
        if (q->consumers[c].attached) n += q->consumers[c].unacked;
    return n;
}

static uint64_t next_seq(const rmq_queue *q)
{
    return q->base_seq + bl_ring_count(&q->table);
}

rmq_entry *rmq_queue_entry(rmq_queue *q, uint64_t seq)
{
    BL_ASSERTF(seq >= q->base_seq && seq < next_seq(q), "queue %u: seq %llu outside %llu..%llu",
               (unsigned)q->index, (unsigned long long)seq, (unsigned long long)q->base_seq,
               (unsigned long long)next_seq(q));
    return BL_RING_AT(&q->table, rmq_entry, (uint32_t)(seq - q->base_seq));
}

static bool written_to_index(const rmq_queue *q, const rmq_entry *e)
{
    return q->file != NULL && (e->flags & RMQ_FLAG_PERSISTENT) != 0;
}

const char *rmq_death_name(rmq_death reason)
{
    static const char *const names[RMQ_DEATH_COUNT] = {
        [RMQ_DEATH_NONE] = "none",
        [RMQ_DEATH_EXPIRED] = "expired",
        [RMQ_DEATH_MAXLEN] = "maxlen",
        [RMQ_DEATH_REJECTED] = "rejected",
        [RMQ_DEATH_DELIVERY_LIMIT] = "delivery_limit",
    };
    BL_ASSERT((unsigned)reason < RMQ_DEATH_COUNT);
    return names[reason];
}

void rmq_queue_set_limits(rmq_queue *q, const rmq_queue_limits *limits,
                          rmq_dead_letter_fn dead_letter, void *ctx)
{
    BL_ASSERT(limits->message_ttl_us == RMQ_NO_TTL || limits->message_ttl_us > 0);
    BL_ASSERTF(!limits->dead_letter || dead_letter != NULL,
               "queue %u: a dead-letter exchange without a republisher", (unsigned)q->index);
    q->limits = *limits;
    q->dead_letter = dead_letter;
    q->dead_letter_ctx = ctx;
}

static void consumed(rmq_queue *q, uint64_t seq, rmq_entry *e);
static void observe(rmq_queue *q, uint64_t seq, rmq_change change);

/* A message leaves for a reason of R11-R13: to the dead-letter exchange if the queue has
 * one (rabbit_dead_letter:publish), else dropped; either way it is gone from the queue
 * as if acked (BQ:ack / BQ:drop), and its mirrors hear of it as consumed. `e` may be an
 * entry never enqueued (seq 0: a rejected publish with reject-publish-dlx). */
static void dies(rmq_queue *q, uint64_t seq, rmq_entry *e, rmq_death reason)
{
    BL_ASSERT(reason != RMQ_DEATH_NONE);
    q->counters.died[reason]++;
    if (q->limits.dead_letter) {
        q->counters.dead_lettered++;
        q->dead_letter(q->dead_letter_ctx, q->index, e, reason);
    } else {
        q->counters.dropped++;
    }
    if (seq != 0) consumed(q, seq, e);
}

/* The oldest ready message leaves (maybe_drop_head / drop_expired_msgs: the head). */
static void head_dies(rmq_queue *q, rmq_death reason)
{
    uint64_t seq = *BL_RING_FRONT(&q->ready, uint64_t);
    bl_ring_pop_front(&q->ready);
    rmq_entry *e = rmq_queue_entry(q, seq);
    BL_ASSERT(e->state == RMQ_ENTRY_READY);
    dies(q, seq, e, reason);
}

int64_t rmq_queue_expire(rmq_queue *q, int64_t now_us)
{
#ifdef BROKERLAB_MUTANT_TTL_IGNORED
    return RMQ_NO_TTL; /* mutant: nothing ever expires */
#endif
    while (bl_ring_count(&q->ready) > 0) {
        rmq_entry *head = rmq_queue_entry(q, *BL_RING_FRONT(&q->ready, uint64_t));
        if (head->expires_us == RMQ_NO_TTL) return RMQ_NO_TTL;
        if (head->expires_us > now_us) return head->expires_us;
        head_dies(q, RMQ_DEATH_EXPIRED);
    }
    return RMQ_NO_TTL;
}

bool rmq_queue_would_reject(const rmq_queue *q)
{
    const rmq_queue_limits *limits = &q->limits;
    return limits->max_length != RMQ_NO_MAX_LENGTH && limits->overflow != RMQ_OVERFLOW_DROP_HEAD &&
           (uint64_t)rmq_queue_ready(q) + 1 > limits->max_length;
}

rmq_publish_result rmq_queue_publish(rmq_queue *q, const rmq_publish *publish, int64_t now_us)
{
    BL_ASSERT(publish->msg_id >= 1 && now_us >= 0);
    const rmq_queue_limits *limits = &q->limits;
    if (rmq_queue_would_reject(q)) {
        /* will_overflow: refused, its confirm nacked (send_reject_publish) */
        q->counters.rejected_publishes++;
        if (limits->overflow == RMQ_OVERFLOW_REJECT_PUBLISH_DLX) {
            rmq_entry refused = {.msg_id = publish->msg_id,
                                 .expires_us = RMQ_NO_TTL,
                                 .key = publish->key,
                                 .consumer = RMQ_NO_CONSUMER,
                                 .flags = publish->persistent ? RMQ_FLAG_PERSISTENT : 0,
                                 .death = publish->death,
                                 .publisher = publish->publisher,
                                 .death_queue = publish->death_queue};
            dies(q, 0, &refused, RMQ_DEATH_MAXLEN);
        }
        return RMQ_PUBLISH_REJECTED;
    }
    uint64_t seq = next_seq(q);
    rmq_entry *e = BL_RING_PUSH_BACK(&q->table, rmq_entry);
    *e = (rmq_entry){.msg_id = publish->msg_id,
                     .expires_us = limits->message_ttl_us == RMQ_NO_TTL
                                       ? RMQ_NO_TTL
                                       : now_us + limits->message_ttl_us,
                     .key = publish->key,
                     .consumer = RMQ_NO_CONSUMER,
                     .state = RMQ_ENTRY_READY,
                     .flags = publish->persistent ? RMQ_FLAG_PERSISTENT : 0,
                     .death = publish->death,
                     .publisher = publish->publisher,
                     .death_queue = publish->death_queue};
    const rmq_confirm *confirm = publish->confirm;
    if (confirm != NULL) {
        BL_ASSERT(confirm->seq >= 1);
        e->confirm_seq = confirm->seq;
        e->channel = confirm->channel;
        e->via = confirm->via;
    }
    *BL_RING_PUSH_BACK(&q->ready, uint64_t) = seq;
    q->counters.enqueued++;
    rmq_publish_result result = RMQ_PUBLISH_CONFIRM_NOW;
    if (written_to_index(q, e)) {
        *BL_RING_PUSH_BACK(&q->to_write, uint64_t) = seq;
        e->flags |= RMQ_FLAG_TO_WRITE;
#ifndef BROKERLAB_MUTANT_CONFIRM_BEFORE_WRITE /* mutant: confirmed on enqueue */
        if (confirm != NULL) {
            e->flags |= RMQ_FLAG_CONFIRM_WAITS;
            result = RMQ_PUBLISH_CONFIRM_WAITS;
        }
#endif
    }
    return result; /* drop-head applies after the deliveries: rmq_queue_drop_head */
}

uint32_t rmq_queue_drop_head(rmq_queue *q)
{
    const rmq_queue_limits *limits = &q->limits;
    if (limits->max_length == RMQ_NO_MAX_LENGTH || limits->overflow != RMQ_OVERFLOW_DROP_HEAD)
        return 0;
    uint32_t dropped = 0;
    for (; rmq_queue_ready(q) > limits->max_length; dropped++) head_dies(q, RMQ_DEATH_MAXLEN);
    return dropped;
}

bool rmq_queue_enqueue(rmq_queue *q, uint64_t msg_id, int32_t key, bool persistent,
                       const rmq_confirm *confirm)
{
    rmq_publish publish = {
        .msg_id = msg_id, .key = key, .persistent = persistent, .confirm = confirm};
    rmq_publish_result result = rmq_queue_publish(q, &publish, 0);
    BL_ASSERT(result != RMQ_PUBLISH_REJECTED);
    return result == RMQ_PUBLISH_CONFIRM_NOW;
}

uint32_t rmq_queue_attach(rmq_queue *q, uint32_t client, uint32_t via, uint32_t prefetch,
                          bool no_ack, uint64_t tag_base)
{
    BL_ASSERTF(rmq_queue_consumer_of(q, client) == RMQ_NO_CONSUMER,
               "queue %u: client %u attached twice", (unsigned)q->index, (unsigned)client);
    uint32_t slot = 0;
    while (slot < q->consumer_count && q->consumers[slot].attached) slot++;
    if (slot == q->consumer_count) {
        BL_ASSERTF(q->consumer_count < RMQ_QUEUE_CONSUMERS_MAX, "queue %u: more than %u consumers",
                   (unsigned)q->index, RMQ_QUEUE_CONSUMERS_MAX);
        q->consumer_count++;
        BL_RING_INIT(&q->consumers[slot].held, uint64_t, RMQ_HELD_MAX,
                     "a consumer's unacknowledged deliveries");
    }
    rmq_consumer_slot *c = &q->consumers[slot];
    bl_ring_clear(&c->held);
    c->attached = true;
    c->suspected = false;
    c->client = client;
    c->via = via;
    c->prefetch = prefetch;
    c->no_ack = no_ack;
    c->tag_base = tag_base;
    c->next_tag = c->first_tag = tag_base + 1; /* a new channel's tags start at 1 */
    c->attach_order = ++q->attaches;
    c->unacked = 0;
    return slot;
}

uint32_t rmq_queue_consumer_of(const rmq_queue *q, uint32_t client)
{
    for (uint32_t c = 0; c < q->consumer_count; c++)
        if (q->consumers[c].attached && q->consumers[c].client == client) return c;
    return RMQ_NO_CONSUMER;
}

/* Puts `seq` back among the ready ones at its place (ascending). Requeues are of the
 * oldest messages, so the place is near the front: the walk and the shift (of the items
 * before it, towards a new front slot) are short. */
static void ready_insert(rmq_queue *q, uint64_t seq)
{
    uint32_t count = bl_ring_count(&q->ready);
    uint32_t at = 0;
    while (at < count && *BL_RING_AT(&q->ready, uint64_t, at) < seq) at++;
    *BL_RING_PUSH_FRONT(&q->ready, uint64_t) = seq;
    for (uint32_t i = 0; i < at; i++)
        *BL_RING_AT(&q->ready, uint64_t, i) = *BL_RING_AT(&q->ready, uint64_t, i + 1);
    *BL_RING_AT(&q->ready, uint64_t, at) = seq;
}

uint32_t rmq_queue_detach(rmq_queue *q, uint32_t slot)
{
    uint32_t requeued = rmq_queue_return_all(q, slot);
    q->consumers[slot].attached = false;
    q->consumers[slot].suspected = false;
    return requeued;
}

uint32_t rmq_queue_return_all(rmq_queue *q, uint32_t slot)
{
    BL_ASSERT(slot < q->consumer_count && q->consumers[slot].attached);
    rmq_consumer_slot *c = &q->consumers[slot];
    uint32_t requeued = 0;
    /* requeued oldest first, each at its place: held is in delivery order, which is
     * ascending except for earlier requeues, so insertion keeps `ready` sorted */
    for (uint32_t i = 0; i < bl_ring_count(&c->held); i++) {
        uint64_t seq = *BL_RING_AT(&c->held, uint64_t, i);
        if (seq == 0) continue;
        rmq_entry *e = rmq_queue_entry(q, seq);
        BL_ASSERT(e->state == RMQ_ENTRY_UNACKED && e->consumer == slot);
#ifdef BROKERLAB_MUTANT_NO_REQUEUE_ON_CLOSE
        consumed(q, seq, e); /* mutant: what the closed channel held is dropped */
        requeued++;
        continue;
#endif
        e->state = RMQ_ENTRY_READY;
        e->consumer = RMQ_NO_CONSUMER;
        e->flags |= RMQ_FLAG_REDELIVERED;
        requeued++;
        /* rabbit_fifo return_one: a quorum queue counts the returns, and one returned
         * more than delivery_limit times leaves (rabbit_fifo_dlx:discard) */
        if (e->delivery_count < UINT16_MAX) e->delivery_count++;
        if (q->limits.delivery_limited && e->delivery_count > q->limits.delivery_limit) {
            dies(q, seq, e, RMQ_DEATH_DELIVERY_LIMIT);
            continue;
        }
        ready_insert(q, seq);
        observe(q, seq, RMQ_CHANGE_REQUEUED);
    }
    BL_ASSERT(requeued == c->unacked);
    q->counters.requeued += requeued;
    bl_ring_clear(&c->held);
    c->unacked = 0;
    return requeued;
}

static bool has_room(const rmq_consumer_slot *c)
{
    return c->attached && !c->suspected &&
           (c->no_ack || c->prefetch == 0 || c->unacked < c->prefetch);
}

/* The message is consumed: acked, or delivered to a no_ack consumer. Its ack is written
 * at the next sync if its publish was; a confirm still waiting for the write goes then
 * too (rmq_queue_sync skips the write of a consumed message). */
static void observe(rmq_queue *q, uint64_t seq, rmq_change change)
{
    if (q->observer != NULL) q->observer(q->observer_ctx, q->index, seq, change);
}

static void consumed(rmq_queue *q, uint64_t seq, rmq_entry *e)
{
    observe(q, seq, RMQ_CHANGE_CONSUMED);
    e->state = RMQ_ENTRY_DONE;
    e->consumer = RMQ_NO_CONSUMER;
    q->counters.acked++;
    if (e->pub_end > 0) *BL_RING_PUSH_BACK(&q->acks_to_write, uint64_t) = seq;
}

bool rmq_queue_next_delivery(rmq_queue *q, uint32_t *slot, rmq_entry **entry, uint64_t *tag)
{
    if (bl_ring_count(&q->ready) == 0 || q->consumer_count == 0) return false;
    uint32_t pick = RMQ_NO_CONSUMER;
    if (q->single_active) { /* the earliest attached consumer, if it has room */
        uint32_t active = RMQ_NO_CONSUMER;
        for (uint32_t c = 0; c < q->consumer_count; c++)
            if (q->consumers[c].attached &&
                (active == RMQ_NO_CONSUMER ||
                 q->consumers[c].attach_order < q->consumers[active].attach_order))
                active = c;
        if (active != RMQ_NO_CONSUMER && has_room(&q->consumers[active])) pick = active;
    } else {
        for (uint32_t i = 0; i < q->consumer_count; i++) {
            uint32_t c = (q->round_robin + i) % q->consumer_count;
            if (has_room(&q->consumers[c])) {
                pick = c;
                break;
            }
        }
    }
    if (pick == RMQ_NO_CONSUMER) return false;
    q->round_robin = (pick + 1) % q->consumer_count;
    uint64_t seq = *BL_RING_FRONT(&q->ready, uint64_t);
    bl_ring_pop_front(&q->ready);
    rmq_entry *e = rmq_queue_entry(q, seq);
    BL_ASSERTF(e->state == RMQ_ENTRY_READY, "queue %u: seq %llu listed ready in state %u",
               (unsigned)q->index, (unsigned long long)seq, (unsigned)e->state);
    rmq_consumer_slot *c = &q->consumers[pick];
    *tag = c->next_tag++;
    *slot = pick;
    *entry = e;
    observe(q, seq, RMQ_CHANGE_DELIVERED);
    q->counters.delivered++;
    if ((e->flags & RMQ_FLAG_REDELIVERED) != 0) q->counters.redelivered++;
    if (c->no_ack) { /* delivered = done (R6): nothing to hold */
        consumed(q, seq, e);
        c->first_tag = c->next_tag;
        return true;
    }
    e->state = RMQ_ENTRY_UNACKED;
    e->consumer = pick;
    e->tag = *tag;
    if (bl_ring_count(&c->held) == 0) c->first_tag = *tag;
    *BL_RING_PUSH_BACK(&c->held, uint64_t) = seq;
    c->unacked++;
    return true;
}

bool rmq_queue_ack(rmq_queue *q, uint32_t slot, uint64_t tag)
{
    BL_ASSERT(slot < q->consumer_count);
    rmq_consumer_slot *c = &q->consumers[slot];
    if (!c->attached || tag < c->first_tag || tag - c->first_tag >= bl_ring_count(&c->held))
        return false;
    uint64_t *held = BL_RING_AT(&c->held, uint64_t, (uint32_t)(tag - c->first_tag));
    uint64_t seq = *held;
    if (seq == 0) return false;
    rmq_entry *e = rmq_queue_entry(q, seq);
    BL_ASSERT(e->state == RMQ_ENTRY_UNACKED && e->consumer == slot && e->tag == tag);
    *held = 0;
    c->unacked--;
    while (bl_ring_count(&c->held) > 0 && *BL_RING_FRONT(&c->held, uint64_t) == 0) {
        bl_ring_pop_front(&c->held);
        c->first_tag++;
    }
    consumed(q, seq, e);
    return true;
}

bool rmq_queue_sync_pending(const rmq_queue *q)
{
    return bl_ring_count(&q->to_write) > 0 || bl_ring_count(&q->acks_to_write) > 0;
}

uint64_t rmq_queue_sync(rmq_queue *q, disk *d, int64_t now_us, rmq_confirm_fn confirmed, void *ctx)
{
    BL_ASSERT(q->file != NULL || !rmq_queue_sync_pending(q));
    uint64_t bytes = 0;
    while (bl_ring_count(&q->to_write) > 0) {
        uint64_t seq = *BL_RING_FRONT(&q->to_write, uint64_t);
        bl_ring_pop_front(&q->to_write);
        rmq_entry *e = rmq_queue_entry(q, seq);
        BL_ASSERT(e->pub_end == 0 && (e->flags & RMQ_FLAG_TO_WRITE) != 0);
        e->flags &= (uint8_t)~RMQ_FLAG_TO_WRITE;
        if (e->state == RMQ_ENTRY_DONE) {
            q->counters.writes_skipped++; /* consumed before its write: never written */
        } else {
            uint64_t record = RMQ_PUB_RECORD_BYTES + q->message_size_bytes;
            if (!disk_append(d, q->file, record, now_us)) {
                /* a full disk refuses the write: the message stays in memory only, and its
                 * confirm waits for a write that can happen */
                *BL_RING_PUSH_FRONT(&q->to_write, uint64_t) = seq;
                e->flags |= RMQ_FLAG_TO_WRITE;
                break;
            }
            bytes += record;
            e->pub_end = q->file->size_bytes;
            q->counters.written++;
        }
        if ((e->flags & RMQ_FLAG_CONFIRM_WAITS) != 0) {
            e->flags &= (uint8_t)~RMQ_FLAG_CONFIRM_WAITS;
            rmq_confirm confirm = {
                .channel = e->channel, .via = e->via, .seq = e->confirm_seq, .queue_seq = seq};
            confirmed(ctx, &confirm);
        }
    }
    while (bl_ring_count(&q->acks_to_write) > 0) {
        uint64_t seq = *BL_RING_FRONT(&q->acks_to_write, uint64_t);
        rmq_entry *e = rmq_queue_entry(q, seq);
        BL_ASSERT(e->state == RMQ_ENTRY_DONE && e->pub_end > 0 && e->ack_end == 0);
        if (!disk_append(d, q->file, RMQ_ACK_RECORD_BYTES, now_us)) break;
        bl_ring_pop_front(&q->acks_to_write);
        bytes += RMQ_ACK_RECORD_BYTES;
        e->ack_end = q->file->size_bytes;
    }
    return bytes;
}

void rmq_queue_trim(rmq_queue *q)
{
    uint64_t durable = q->file != NULL ? q->file->durable_bytes : 0;
    while (bl_ring_count(&q->table) > 0) {
        const rmq_entry *e = BL_RING_FRONT(&q->table, rmq_entry);
        if (e->state != RMQ_ENTRY_DONE) break;
        if (e->pub_end > 0 && (e->ack_end == 0 || e->ack_end > durable)) break;
        if ((e->flags & RMQ_FLAG_TO_WRITE) != 0) break;
        bl_ring_pop_front(&q->table);
        q->base_seq++;
    }
}

void rmq_queue_recover(rmq_queue *q, uint64_t surviving_bytes)
{
    memset(q->counters.died, 0, sizeof q->counters.died);
    q->counters.dead_lettered = q->counters.dropped = q->counters.rejected_publishes = 0;
    for (uint32_t c = 0; c < q->consumer_count; c++) {
        q->consumers[c].attached = false;
        q->consumers[c].unacked = 0;
        bl_ring_clear(&q->consumers[c].held);
    }
    q->round_robin = 0;
    bl_ring_clear(&q->ready);
    bl_ring_clear(&q->to_write);
    bl_ring_clear(&q->acks_to_write);
    uint32_t count = bl_ring_count(&q->table);
    for (uint32_t i = 0; i < count; i++) {
        rmq_entry *e = BL_RING_AT(&q->table, rmq_entry, i);
        if (e->msg_id == 0) continue;
        bool was_live = e->state != RMQ_ENTRY_DONE;
        bool on_disk = q->durable && e->pub_end > 0 && e->pub_end <= surviving_bytes;
        bool ack_on_disk = e->ack_end > 0 && e->ack_end <= surviving_bytes;
        if (on_disk && !ack_on_disk) {
            e->state = RMQ_ENTRY_READY;
            e->consumer = RMQ_NO_CONSUMER;
            e->confirm_seq = 0;
            e->flags = (uint8_t)(RMQ_FLAG_PERSISTENT | RMQ_FLAG_REDELIVERED);
            e->ack_end = 0; /* an ack written past what survived is gone */
            *BL_RING_PUSH_BACK(&q->ready, uint64_t) = q->base_seq + i;
            q->counters.recovered++;
            continue;
        }
        if (was_live) q->counters.lost_at_restart++;
        e->msg_id = 0; /* a hole: trimmed once it reaches the front */
        e->state = RMQ_ENTRY_DONE;
        e->pub_end = e->ack_end = 0;
        e->flags = 0;
    }
    rmq_queue_trim(q);
}

uint64_t rmq_queue_next_seq(const rmq_queue *q)
{
    return next_seq(q);
}

uint64_t rmq_queue_oldest_live(const rmq_queue *q)
{
    uint32_t count = bl_ring_count(&q->table);
    for (uint32_t i = 0; i < count; i++) {
        const rmq_entry *e = BL_RING_AT(&q->table, rmq_entry, i);
        if (e->msg_id != 0 && e->state != RMQ_ENTRY_DONE) return q->base_seq + i;
    }
    return next_seq(q);
}

void rmq_queue_start_at(rmq_queue *q, uint64_t seq)
{
    BL_ASSERTF(bl_ring_count(&q->table) == 0, "queue %u: a mirror starts empty",
               (unsigned)q->index);
    BL_ASSERT(seq >= 1);
    q->base_seq = seq;
}

/* Takes `seq` out of the ready list (a mirror's copy of a delivery: it is near the front,
 * where deliveries come from, so the items before it move up one and the front goes). */
static void ready_remove(rmq_queue *q, uint64_t seq)
{
    uint32_t count = bl_ring_count(&q->ready);
    uint32_t at = 0;
    while (at < count && *BL_RING_AT(&q->ready, uint64_t, at) != seq) at++;
    BL_ASSERTF(at < count, "queue %u: seq %llu is not ready", (unsigned)q->index,
               (unsigned long long)seq);
    for (uint32_t i = at; i > 0; i--)
        *BL_RING_AT(&q->ready, uint64_t, i) = *BL_RING_AT(&q->ready, uint64_t, i - 1);
    bl_ring_pop_front(&q->ready);
}

void rmq_queue_mirror_change(rmq_queue *q, uint64_t seq, rmq_change change)
{
    if (seq < q->base_seq) return; /* older than this mirror */
    rmq_entry *e = rmq_queue_entry(q, seq);
    if (e->msg_id == 0) return;
    switch (change) {
    case RMQ_CHANGE_DELIVERED:
        BL_ASSERT(e->state == RMQ_ENTRY_READY);
        ready_remove(q, seq);
        e->state = RMQ_ENTRY_UNACKED;
        e->consumer = RMQ_NO_CONSUMER;
        q->counters.delivered++;
        return;
    case RMQ_CHANGE_CONSUMED:
        if (e->state == RMQ_ENTRY_READY) ready_remove(q, seq); /* a no_ack delivery */
        consumed(q, seq, e);
        return;
    case RMQ_CHANGE_REQUEUED:
        BL_ASSERT(e->state == RMQ_ENTRY_UNACKED);
        e->state = RMQ_ENTRY_READY;
        e->flags |= RMQ_FLAG_REDELIVERED;
        ready_insert(q, seq);
        return;
    }
    BL_ASSERTF(false, "change %d", (int)change);
}

uint32_t rmq_queue_promote(rmq_queue *q)
{
    uint32_t requeued = 0;
    uint32_t count = bl_ring_count(&q->table);
    for (uint32_t i = 0; i < count; i++) {
        rmq_entry *e = BL_RING_AT(&q->table, rmq_entry, i);
        if (e->msg_id == 0 || e->state != RMQ_ENTRY_UNACKED) continue;
        BL_ASSERT(e->consumer == RMQ_NO_CONSUMER);
        e->state = RMQ_ENTRY_READY;
        e->flags |= RMQ_FLAG_REDELIVERED;
        ready_insert(q, q->base_seq + i);
        observe(q, q->base_seq + i, RMQ_CHANGE_REQUEUED);
        requeued++;
    }
    q->counters.requeued += requeued;
    return requeued;
}

uint64_t rmq_queue_live_from_bytes(const rmq_queue *q)
{
    uint32_t count = bl_ring_count(&q->table);
    for (uint32_t i = 0; i < count; i++) {
        const rmq_entry *e = BL_RING_AT(&q->table, rmq_entry, i);
        if (e->pub_end > 0) return e->pub_end - RMQ_PUB_RECORD_BYTES - q->message_size_bytes;
    }
    return UINT64_MAX;
}
