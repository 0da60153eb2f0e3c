/* rabbitmq_consumer.c — a RabbitMQ consumer: one connection and channel with one
 * basic.consume on its queue, and the application's workers behind it (R6).
 *
 * Client. Deliveries are pushed: the broker sends while the consumer holds fewer than
 * `prefetch` unacknowledged (basic.qos, per consumer; 0 = no limit), or without limit
 * with ack: auto (no_ack), where a delivery counts as done once written to the socket.
 * With manual acks the application acks each message once processed; acks finished
 * within ack_coalesce share one write. A lost connection (socket reset, or `heartbeat` of
 * silence from the broker) loses the acks not yet written: the broker requeues what the
 * channel held, and what the workers finish afterwards is processed a second time when
 * redelivered. The client reconnects to the next node after recovery_interval and
 * consumes again; a basic.cancel (the queue's home node is down) makes it try again
 * after recovery_interval too.
 *
 * Application. Each delivery is recorded `deliver` when it arrives and goes to a worker
 * (the next free one, or by hash of its key: C27), its `process` recorded ahead at its
 * completion in the worker's history stream; a kill -9 cancels what had not happened.
 * The idempotent consumer checks the group's dedup store first and records `dedup`.
 *
 * Cost: one wake-up per delivery packet and per ack write. */
#include "rabbitmq_consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/history.h"
#include "../../engine/net.h"
#include "../../engine/rng.h"
#include "../../engine/vec.h"
#include "../common/client.h"
#include "rabbitmq_routing.h"

enum {
    CONSUMER_TIMER_ACK = SIM_EVENT_MODEL_BASE,
    CONSUMER_TIMER_HEARTBEAT,
    CONSUMER_TIMER_RECONNECT, /* reconnect, or consume again after a cancel */
    CONSUMER_TIMER_DECLARE,   /* declare_at: declare and bind the queue, consume */
    CONSUMER_TIMER_DELETE,    /* delete_at: the application deletes its queue and stops */
};

#define RMQ_IN_HAND_MAX \
    (1u << 26) /* deliveries one worker holds: a prefetch's worth, or
                                      with no_ack whatever the broker pushed */

/* ---- history ---- */

_Static_assert((int)RMQ_DEATH_EXPIRED == (int)HIST_DEATH_EXPIRED &&
                   (int)RMQ_DEATH_MAXLEN == (int)HIST_DEATH_MAXLEN &&
                   (int)RMQ_DEATH_REJECTED == (int)HIST_DEATH_REJECTED &&
                   (int)RMQ_DEATH_DELIVERY_LIMIT == (int)HIST_DEATH_DELIVERY_LIMIT &&
                   (int)RMQ_DEATH_COUNT == (int)HIST_DEATH_COUNT,
               "a dead letter's reason is recorded as the queue gives it");

/* A dead letter's x-death header (R12) on a record: why it died and the group of the
 * queue it died in. */
static void set_death(const rmq_consumer *consumer, uint32_t origin, hist_record *rec)
{
    uint32_t death = RMQ_ORIGIN_DEATH(origin);
    if (death == RMQ_DEATH_NONE) return;
    BL_ASSERT(death < RMQ_DEATH_COUNT);
    const rmq_cluster *cluster = consumer->cluster;
    uint32_t queue = RMQ_ORIGIN_QUEUE(origin);
    BL_ASSERT(queue < cluster->queue_count);
    rec->death_reason = (uint8_t)death;
    rec->death_group = hist_names_intern(
        hist_names_table(), cluster->scenario->consumers[cluster->queues[queue].group].group);
}

static void emit_for_group(rmq_consumer *consumer, uint32_t stream, hist_fn fn, int64_t t_us,
                           uint64_t msg_id, uint32_t origin)
{
    hist_record rec = hist_record_init(fn, HIST_OK, consumer->node->hist_name, t_us);
    rec.msg = msg_id;
    rec.group = consumer->hist_group;
    set_death(consumer, origin, &rec);
    hist_emit(stream, &rec);
}

/* A delivery packet's run of messages with the same redelivered flag: one record. */
static void record_deliver(rmq_consumer *consumer, const rmq_msg *msg, uint32_t first,
                           uint32_t count)
{
    hist_record rec =
        hist_record_init(HIST_DELIVER, HIST_OK, consumer->node->hist_name, sim_now_us());
    rec.msg = msg->ids[first];
    rec.count = count;
    rec.msgs = count > 1 ? msg->ids + first : NULL;
    rec.group = consumer->hist_group;
    rec.partition = (int32_t)consumer->cluster->queues[consumer->queue].position;
    rec.offset = (int64_t)msg->seqs[first]; /* the delivery tag: consecutive in a packet */
    rec.redelivered = msg->flags[first];
    set_death(consumer, msg->origins[first], &rec);
    hist_emit(HIST_STREAM_NOW, &rec);
}

/* ---- processing ---- */

static uint32_t pick_worker(rmq_consumer *consumer, int32_t key)
{
    uint32_t workers = consumer->config->workers;
    if (consumer->config->routing == SCN_ROUTING_KEY_HASH)
        return key >= 0 ? rabbitmq_hash_pick(key, workers) : consumer->round_robin_next++ % workers;
    uint32_t best = 0;
    for (uint32_t w = 1; w < workers; w++)
        if (consumer->worker_free_us[w] < consumer->worker_free_us[best]) best = w;
    return best;
}

static void send_to_broker(rmq_consumer *consumer, rmq_msg *msg)
{
    msg->conn = consumer->connections;
    net_send(consumer->node, consumer->cluster->nodes[consumer->connection],
             rmq_msg_size_bytes(msg), msg);
}

/* The earliest completion still to ack, or SIM_TIME_NEVER. */
static int64_t next_ack_due_us(const rmq_consumer *consumer)
{
    int64_t due_us = SIM_TIME_NEVER;
    for (uint32_t w = 0; w < consumer->config->workers; w++) {
        const bl_ring *ring = &consumer->in_hand[w];
        for (uint32_t i = 0; i < bl_ring_count(ring); i++) {
            const rmq_in_hand *hand = BL_RING_AT(ring, rmq_in_hand, i);
            if (hand->channel != consumer->connections) continue; /* its channel is gone */
            if (hand->done_us < due_us) due_us = hand->done_us;
            break;
        }
    }
    return due_us;
}

static void arm_ack_timer(rmq_consumer *consumer)
{
    if (consumer->options.ack == RABBITMQ_ACK_AUTO) return;
    int64_t due_us = next_ack_due_us(consumer);
    if (due_us == SIM_TIME_NEVER) return;
    sim_timer_arm(consumer->node, &consumer->ack_timer, due_us + consumer->options.ack_coalesce_us,
                  CONSUMER_TIMER_ACK);
}

static void dispatch(rmq_consumer *consumer, uint64_t msg_id, int32_t key, uint64_t tag,
                     uint32_t origin, int64_t now_us)
{
    uint32_t w = pick_worker(consumer, key);
    int64_t start_us = consumer->worker_free_us[w];
    if (start_us < now_us) start_us = now_us;
    if (start_us < consumer->stall_until_us) {
        start_us = consumer->stall_until_us;
        consumer->stall_held++;
    }
    rmq_in_hand hand = {.tag = tag, .msg_id = msg_id, .channel = consumer->connections};
    if (consumer->dedup != NULL && dedup_store_contains(consumer->dedup, msg_id)) {
        emit_for_group(consumer, consumer->worker_streams[w], HIST_DEDUP, start_us, msg_id, origin);
        hand.done_us = start_us;
    } else {
        hand.done_us = start_us + client_draw_duration(&consumer->config->processing,
                                                       consumer->rng_processing);
        emit_for_group(consumer, consumer->worker_streams[w], HIST_PROCESS, hand.done_us, msg_id,
                       origin);
        if (consumer->dedup != NULL) {
            dedup_store_insert(consumer->dedup, msg_id);
            hand.inserted = 1;
        }
    }
    consumer->worker_free_us[w] = hand.done_us;
    bl_ring *ring = &consumer->in_hand[w];
    if (consumer->options.ack == RABBITMQ_ACK_AUTO) /* nothing to ack: forget the finished */
        while (bl_ring_count(ring) > 0 && BL_RING_FRONT(ring, rmq_in_hand)->done_us <= now_us)
            bl_ring_pop_front(ring);
    *BL_RING_PUSH_BACK(ring, rmq_in_hand) = hand;
}

static void on_deliver(rmq_consumer *consumer, const rmq_msg *msg)
{
    BL_ASSERTF(msg->queue == consumer->queue, "%s: a delivery from queue %u", consumer->node->name,
               (unsigned)msg->queue);
    int64_t now_us = sim_now_us();
    for (uint32_t first = 0; first < msg->count;) {
        uint32_t end = first + 1;
        while (end < msg->count && end - first < HIST_BATCH_MAX &&
               msg->flags[end] == msg->flags[first] && msg->seqs[end] == msg->seqs[end - 1] + 1 &&
               RMQ_ORIGIN_DEATH(msg->origins[end]) == RMQ_ORIGIN_DEATH(msg->origins[first]) &&
               RMQ_ORIGIN_QUEUE(msg->origins[end]) == RMQ_ORIGIN_QUEUE(msg->origins[first]))
            end++;
        record_deliver(consumer, msg, first, end - first);
        first = end;
    }
    for (uint32_t i = 0; i < msg->count; i++)
        dispatch(consumer, msg->ids[i], msg->keys[i], msg->seqs[i], msg->origins[i], now_us);
    arm_ack_timer(consumer);
}

/* Forgets what the workers finished by now_us; with manual acks, writes one basic.ack
 * frame set for the finished deliveries of the current channel. */
static void on_ack_timer(rmq_consumer *consumer)
{
    int64_t now_us = sim_now_us();
    uint32_t count = 0;
    for (uint32_t w = 0; w < consumer->config->workers; w++) {
        bl_ring *ring = &consumer->in_hand[w];
        while (bl_ring_count(ring) > 0 && BL_RING_FRONT(ring, rmq_in_hand)->done_us <= now_us) {
            const rmq_in_hand *hand = BL_RING_FRONT(ring, rmq_in_hand);
            if (hand->channel == consumer->connections && consumer->connected &&
                consumer->options.ack == RABBITMQ_ACK_MANUAL) {
                BL_GROW(consumer->ack_tags, consumer->ack_capacity, (uint64_t)count + 1,
                        RMQ_MSG_COUNT_MAX, "a consumer's acks of one write");
                consumer->ack_tags[count++] = hand->tag;
            }
            bl_ring_pop_front(ring);
        }
    }
    if (count > 0) {
        rmq_msg *ack = rmq_msg_new(RMQ_ACK, count);
        memcpy(ack->seqs, consumer->ack_tags, count * sizeof *ack->seqs);
        send_to_broker(consumer, ack);
    }
    arm_ack_timer(consumer);
}

/* ---- the connection ---- */

static void consume(rmq_consumer *consumer)
{
    rmq_msg *msg = rmq_msg_new(RMQ_CONSUME, 0);
    msg->queue = consumer->queue;
    msg->prefetch = consumer->options.prefetch;
    msg->no_ack = consumer->options.ack == RABBITMQ_ACK_AUTO;
    send_to_broker(consumer, msg);
}

static void open_connection(rmq_consumer *consumer)
{
    uint32_t nodes = consumer->cluster->node_count;
    consumer->connection =
        (rabbitmq_first_node(consumer->options.connect_to, consumer->instance, nodes) +
         consumer->attempts) %
        nodes;
    consumer->connected = true;
    consumer->connections++;
    BL_ASSERTF(consumer->connections < 65536, "%s: more than 65535 connections",
               consumer->node->name);
    consumer->consuming = false;
    consumer->last_heard_us = sim_now_us();
    rmq_msg *open = rmq_msg_new(RMQ_OPEN, 0);
    open->mode = UINT32_MAX;
    send_to_broker(consumer, open);
    if (consumer->delete_pending) { /* it left while disconnected: the delete it owes */
        rmq_msg *drop = rmq_msg_new(RMQ_QUEUE_DELETE, 0);
        drop->queue = consumer->queue;
        send_to_broker(consumer, drop);
        consumer->delete_pending = false;
    }
    if (!consumer->left) consume(consumer);
    sim_timer_set(consumer->node, &consumer->heartbeat_timer,
                  sim_now_us() + consumer->cluster->options.heartbeat_us / 2,
                  CONSUMER_TIMER_HEARTBEAT);
}

static void connection_lost(rmq_consumer *consumer)
{
    if (!consumer->connected) return;
    consumer->connected = false;
    consumer->consuming = false;
    consumer->attempts++;
    sim_timer_cancel(&consumer->heartbeat_timer);
    sim_timer_set(consumer->node, &consumer->reconnect_timer,
                  sim_now_us() + consumer->options.recovery_interval_us, CONSUMER_TIMER_RECONNECT);
}

static void on_reconnect_timer(rmq_consumer *consumer)
{
    if (consumer->left && !consumer->delete_pending) return;
    if (!consumer->connected) {
        open_connection(consumer);
        return;
    }
    if (!consumer->consuming) consume(consumer); /* after a basic.cancel */
}

static void on_heartbeat_timer(rmq_consumer *consumer)
{
    int64_t now_us = sim_now_us();
    if (!consumer->connected) return;
    if (now_us - consumer->last_heard_us > consumer->cluster->options.heartbeat_us) {
        connection_lost(consumer);
        return;
    }
    send_to_broker(consumer, rmq_msg_new(RMQ_HEARTBEAT, 0));
    sim_timer_set(consumer->node, &consumer->heartbeat_timer,
                  now_us + consumer->cluster->options.heartbeat_us / 2, CONSUMER_TIMER_HEARTBEAT);
}

/* ---- sim_node_ops ---- */

static void record_subscribe(rmq_consumer *consumer, bool from_now);
static void on_delete_timer(rmq_consumer *consumer);

static void consumer_on_event(sim_node *node, const sim_event *ev)
{
    rmq_consumer *consumer = node->model;
    switch (ev->kind) {
    case SIM_EVENT_PACKET: {
        rmq_msg *msg = ev->data;
        if (consumer->connected && ev->arg == consumer->cluster->nodes[consumer->connection]->id &&
            msg->conn == consumer->connections) {
            consumer->last_heard_us = sim_now_us();
            switch (msg->kind) {
            case RMQ_DELIVER: on_deliver(consumer, msg); break;
            case RMQ_CONSUME_OK:
                consumer->consuming = true;
                if (consumer->subscribe_pending && !consumer->left)
                    record_subscribe(consumer, true);
                break;
            case RMQ_CANCEL:
                consumer->consuming = false;
                if (consumer->left) break; /* its queue was deleted: it is done */
                sim_timer_set(node, &consumer->reconnect_timer,
                              sim_now_us() + consumer->options.recovery_interval_us,
                              CONSUMER_TIMER_RECONNECT);
                break;
            case RMQ_HEARTBEAT: break;
            case RMQ_CLOSE: connection_lost(consumer); break;
            default: BL_ASSERTF(false, "%s: %s", node->name, rmq_kind_name(msg->kind));
            }
        }
        rmq_msg_free(msg);
        return;
    }
    case SIM_EVENT_NET_RESET:
        if (consumer->connected && ev->arg == consumer->cluster->nodes[consumer->connection]->id)
            connection_lost(consumer);
        return;
    case CONSUMER_TIMER_ACK: on_ack_timer(consumer); return;
    case CONSUMER_TIMER_HEARTBEAT: on_heartbeat_timer(consumer); return;
    case CONSUMER_TIMER_RECONNECT: on_reconnect_timer(consumer); return;
    case CONSUMER_TIMER_DECLARE:
        consumer->subscribe_pending = true;
        open_connection(consumer);
        return;
    case CONSUMER_TIMER_DELETE: on_delete_timer(consumer); return;
    default: BL_ASSERTF(false, "%s: event kind %u", node->name, ev->kind);
    }
}

uint64_t rmq_consumer_holding(const rmq_consumer *consumer, int64_t now_us)
{
    uint64_t held = 0;
    for (uint32_t w = 0; w < consumer->config->workers; w++)
        for (uint32_t i = 0; i < bl_ring_count(&consumer->in_hand[w]); i++)
            if (BL_RING_AT(&consumer->in_hand[w], rmq_in_hand, i)->done_us > now_us) held++;
    return held;
}

static void consumer_on_stop(sim_node *node, bool power_loss)
{
    rmq_consumer *consumer = node->model;
    int64_t now_us = sim_now_us();
    for (uint32_t w = 0; w < consumer->config->workers; w++) {
        hist_cancel_after(consumer->worker_streams[w], now_us);
        consumer->worker_free_us[w] = 0;
        bl_ring *ring = &consumer->in_hand[w];
        for (uint32_t i = 0; i < bl_ring_count(ring); i++) {
            const rmq_in_hand *hand = BL_RING_AT(ring, rmq_in_hand, i);
            if (hand->done_us > now_us && hand->inserted)
                dedup_store_remove(consumer->dedup, hand->msg_id); /* cut short */
        }
        bl_ring_clear(ring);
    }
    consumer->connected = consumer->consuming = false;
    sim_timer_cancel(&consumer->ack_timer);
    sim_timer_cancel(&consumer->heartbeat_timer);
    sim_timer_cancel(&consumer->reconnect_timer);
    BL_MAYBE(power_loss);
}

static void emit_membership(rmq_consumer *consumer, hist_fn fn, bool from_now)
{
    hist_record rec = hist_record_init(fn, HIST_OK, consumer->node->hist_name, sim_now_us());
    rec.group = consumer->hist_group;
    rec.topic = consumer->hist_topic;
    rec.from_now = from_now ? 1 : 0;
    hist_emit(HIST_STREAM_NOW, &rec);
}

/* Its subscribe (again after a restart; the checker keeps a group's first): from_now for
 * a queue declared mid-run, once its basic.consume-ok says it is bound. */
static void record_subscribe(rmq_consumer *consumer, bool from_now)
{
    emit_membership(consumer, HIST_SUBSCRIBE, from_now);
    consumer->subscribed = true;
    consumer->subscribe_pending = false;
}

/* delete_at (C03): the application leaves: instance 0 deletes the queue (queue.delete:
 * what it still holds is gone; on its next connection if it has none now), every
 * instance stops consuming. */
static void on_delete_timer(rmq_consumer *consumer)
{
    consumer->left = true;
    consumer->subscribe_pending = false;
    if (consumer->subscribed) emit_membership(consumer, HIST_UNSUBSCRIBE, false);
    sim_timer_cancel(&consumer->reconnect_timer);
    if (consumer->instance != 0) return;
    if (!consumer->connected) {
        consumer->delete_pending = true;
        sim_timer_set(consumer->node, &consumer->reconnect_timer,
                      sim_now_us() + consumer->options.recovery_interval_us,
                      CONSUMER_TIMER_RECONNECT);
        return;
    }
    rmq_msg *drop = rmq_msg_new(RMQ_QUEUE_DELETE, 0);
    drop->queue = consumer->queue;
    send_to_broker(consumer, drop);
}

static void consumer_on_start(sim_node *node)
{
    rmq_consumer *consumer = node->model;
    int64_t now_us = sim_now_us();
    if (consumer->left) {
        if (consumer->delete_pending) open_connection(consumer);
        return;
    }
    if (consumer->options.delete_at_us >= 0 && consumer->options.delete_at_us > now_us)
        sim_timer_set(node, &consumer->delete_timer, consumer->options.delete_at_us,
                      CONSUMER_TIMER_DELETE);
    if (consumer->options.declare_at_us > now_us) { /* its queue does not exist yet */
        sim_timer_set(node, &consumer->declare_timer, consumer->options.declare_at_us,
                      CONSUMER_TIMER_DECLARE);
        return;
    }
    if (consumer->options.declare_at_us > 0 && !consumer->subscribed)
        consumer->subscribe_pending = true; /* declared mid-run: at its consume-ok */
    else
        record_subscribe(consumer, false);
    open_connection(consumer);
}

static const sim_node_ops consumer_ops = {
    .on_event = consumer_on_event,
    .on_stop = consumer_on_stop,
    .on_start = consumer_on_start,
    .free_data = rmq_free_packet,
};

rmq_consumer *rmq_consumer_create(rmq_cluster *cluster, uint32_t entry, uint32_t instance,
                                  dedup_store *dedup)
{
    const scn_scenario *scenario = cluster->scenario;
    const scn_consumer *config = &scenario->consumers[entry];
    rmq_consumer *consumer = calloc(1, sizeof *consumer);
    BL_ASSERT(consumer != NULL);
    consumer->cluster = cluster;
    consumer->config = config;
    consumer->options = rabbitmq_consumer_options_of(config);
    consumer->entry = entry;
    consumer->instance = instance;
    consumer->queue =
        cluster->first_queue[entry] + (consumer->options.queue_per_consumer ? instance : 0);
    consumer->dedup = config->dedup ? dedup : NULL;
    char name[96];
    snprintf(name, sizeof name, "consumer/%s/%u", config->group, instance);
    char rng_name[128];
    snprintf(rng_name, sizeof rng_name, "%s/processing", name);
    consumer->rng_processing = rng_stream(scenario->seed, rng_name);
    consumer->worker_free_us = calloc(config->workers, sizeof *consumer->worker_free_us);
    consumer->worker_streams = calloc(config->workers, sizeof *consumer->worker_streams);
    consumer->in_hand = calloc(config->workers, sizeof *consumer->in_hand);
    BL_ASSERT(consumer->worker_free_us != NULL && consumer->worker_streams != NULL &&
              consumer->in_hand != NULL);
    for (uint32_t w = 0; w < config->workers; w++) {
        consumer->worker_streams[w] = hist_stream_open();
        BL_RING_INIT(&consumer->in_hand[w], rmq_in_hand, RMQ_IN_HAND_MAX,
                     "a worker's deliveries in hand");
    }
    consumer->node = sim_add_node(name, SIM_ROLE_CONSUMER, &consumer_ops, consumer);
    consumer->node->entry = entry;
    consumer->node->instance = instance;
    consumer->node->hist_name = hist_names_intern(hist_names_table(), name);
    consumer->hist_group = hist_names_intern(hist_names_table(), config->group);
    consumer->hist_topic =
        hist_names_intern(hist_names_table(), scenario->topics[config->topic_index].name);
    return consumer;
}

void rmq_consumer_free(rmq_consumer *consumer)
{
    for (uint32_t w = 0; w < consumer->config->workers; w++) bl_ring_free(&consumer->in_hand[w]);
    free(consumer->in_hand);
    free(consumer->worker_free_us);
    free(consumer->worker_streams);
    free(consumer->ack_tags);
    gsl_rng_free(consumer->rng_processing);
    free(consumer);
}

void rmq_consumer_stall(rmq_consumer *consumer, int64_t until_us)
{
    if (until_us > consumer->stall_until_us) consumer->stall_until_us = until_us;
}
