/* rabbitmq_family.c — assembles a RabbitMQ-style cluster for a run: nodes, publishers,
 * consumers and the groups' dedup stores; resolves node(N), queue(NAME) and master(NAME)
 * and says what stopping a node hits, for the fault injector; reports the effective
 * durability settings (see family.h). */
#include "rabbitmq_family.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/units.h"
#include "rabbitmq_consumer.h"
#include "rabbitmq_node.h"
#include "rabbitmq_publisher.h"
#include "rabbitmq_schema.h"
#include "../common/settings.h"

typedef struct rabbitmq_run {
    rmq_cluster cluster;
    rmq_node *nodes[SCN_BROKERS_MAX];
    rmq_publisher **publishers;
    uint32_t publisher_count;
    rmq_consumer **consumers;
    uint32_t consumer_count;
    dedup_store dedup[SCN_GROUPS_MAX];
    uint64_t next_msg_id;
} rabbitmq_run;

static uint32_t rabbitmq_node_count(const scn_scenario *scenario)
{
    uint32_t n = scenario->cluster.broker_count;
    for (uint32_t i = 0; i < scenario->producer_count; i++) n += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++) n += scenario->consumers[i].count;
    return n;
}

static void *rabbitmq_build(const scn_scenario *scenario)
{
    rabbitmq_run *run = calloc(1, sizeof *run);
    BL_ASSERT(run != NULL);
    rmq_cluster_init(&run->cluster, scenario);
    /* every sim node id of the run: the fault injector is added after the family's */
    uint32_t ids = rabbitmq_node_count(scenario) + 1;
    for (uint32_t b = 0; b < scenario->cluster.broker_count; b++)
        run->nodes[b] = rmq_node_create(&run->cluster, b, ids);
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        run->publisher_count += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++)
        run->consumer_count += scenario->consumers[i].count;
    run->publishers = calloc(run->publisher_count + 1, sizeof *run->publishers);
    run->consumers = calloc(run->consumer_count + 1, sizeof *run->consumers);
    BL_ASSERT(run->publishers != NULL && run->consumers != NULL);
    uint32_t k = 0;
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        for (uint32_t n = 0; n < scenario->producers[i].count; n++)
            run->publishers[k++] = rmq_publisher_create(&run->cluster, i, n, &run->next_msg_id);
    k = 0;
    for (uint32_t i = 0; i < scenario->consumer_count; i++)
        for (uint32_t n = 0; n < scenario->consumers[i].count; n++)
            run->consumers[k++] = rmq_consumer_create(&run->cluster, i, n, &run->dedup[i]);
    return run;
}

/* The node hosting a queue now: a classic queue's home, a mirrored queue's master. */
static uint32_t rabbitmq_resolve(void *state, const scn_selector *selector, sim_node **out,
                                 uint32_t max)
{
    rabbitmq_run *run = state;
    BL_ASSERT(selector->kind == SCN_SEL_FAMILY && max >= 1);
    if (selector->family_kind == RABBITMQ_SELECTOR_NODE) {
        BL_ASSERT(selector->family_args[0] < run->cluster.node_count);
        out[0] = run->cluster.nodes[selector->family_args[0]];
        return 1;
    }
    BL_ASSERTF(selector->family_kind == RABBITMQ_SELECTOR_QUEUE ||
                   selector->family_kind == RABBITMQ_SELECTOR_MASTER,
               "RabbitMQ selector kind %u", selector->family_kind);
    uint32_t group = selector->family_args[RABBITMQ_QUEUE_ARG_GROUP];
    uint32_t instance = selector->family_args[RABBITMQ_QUEUE_ARG_INSTANCE];
    uint32_t queue = run->cluster.first_queue[group] + (instance == 0 ? 0 : instance - 1);
    uint32_t master = run->cluster.queues[queue].master;
    if (master == RMQ_NO_NODE) return 0;
    out[0] = run->cluster.nodes[master];
    return 1;
}

static void rabbitmq_stall(void *state, sim_node *node, int64_t until_us)
{
    (void)state;
    BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "a stall of %s, which is no consumer", node->name);
    rmq_consumer_stall(node->model, until_us);
}

static uint64_t rabbitmq_stall_held(void *state, const sim_node *node)
{
    (void)state;
    BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "%s is no consumer", node->name);
    const rmq_consumer *consumer = node->model;
    return consumer->stall_held;
}

/* A node's stop hits the queues it leads and what they hold. */
static void rabbitmq_describe_stop(void *state, const sim_node *node, fault_hit *hit)
{
    const rabbitmq_run *run = state;
    int64_t now_us = sim_now_us();
    if (node->role == SIM_ROLE_BROKER) {
        uint32_t queues = 0;
        uint64_t messages = 0;
        for (uint32_t q = 0; q < run->cluster.queue_count; q++) {
            const rmq_queue *led = rmq_node_led_queue(run->nodes[node->entry], q);
            if (led == NULL) continue;
            queues++;
            messages += rmq_queue_ready(led) + rmq_queue_unacked(led);
        }
        hit->counters[0] = (fault_counter){.name = "queues_hosted", .value = queues};
        hit->counters[1] = (fault_counter){.name = "messages_queued", .value = messages};
        hit->counter_count = 2;
        snprintf(hit->phrase, sizeof hit->phrase, "hosted %u queue%s holding %llu message%s",
                 (unsigned)queues, queues == 1 ? "" : "s", (unsigned long long)messages,
                 messages == 1 ? "" : "s");
    } else if (node->role == SIM_ROLE_PRODUCER) {
        uint64_t unacked = rmq_publisher_unacked(node->model, now_us);
        hit->counters[0] = (fault_counter){.name = "unacked_messages", .value = unacked};
        hit->counter_count = 1;
        snprintf(hit->phrase, sizeof hit->phrase, "had %llu message%s not confirmed",
                 (unsigned long long)unacked, unacked == 1 ? "" : "s");
    } else {
        BL_ASSERTF(node->role == SIM_ROLE_CONSUMER, "a stop of %s", node->name);
        uint64_t held = rmq_consumer_holding(node->model, now_us);
        hit->counters[0] = (fault_counter){.name = "deliveries_unprocessed", .value = held};
        hit->counter_count = 1;
        snprintf(hit->phrase, sizeof hit->phrase, "had %llu deliver%s not processed yet",
                 (unsigned long long)held, held == 1 ? "y" : "ies");
    }
}

/* ---- durability settings ---- */

/* What decides whether a confirmed message survives: the publishers' mode and delivery
 * mode, the queues' durability and ack mode, and the version's fsync before confirms. */
static uint32_t rabbitmq_durability(const scn_scenario *scenario, scn_setting *rows, uint32_t max)
{
    static const char *const modes[] = {"fire_and_forget", "confirms", "transactions"};
    settings_out out = {.rows = rows, .max = max};
    for (uint32_t i = 0; i < scenario->producer_count; i++) {
        const scn_producer *p = &scenario->producers[i];
        rabbitmq_producer_options options = rabbitmq_producer_options_of(p);
        setting_add(&out, SCN_SCOPE_PRODUCER, p->name, "mode", "%s", modes[options.mode]);
        setting_add(&out, SCN_SCOPE_PRODUCER, p->name, "persistent", "%s",
                    options.persistent ? "true" : "false");
    }
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        const scn_consumer *c = &scenario->consumers[g];
        rabbitmq_consumer_options options = rabbitmq_consumer_options_of(c);
        setting_add(&out, SCN_SCOPE_GROUP, c->group, "durable", "%s",
                    options.durable ? "true" : "false");
        setting_add(&out, SCN_SCOPE_GROUP, c->group, "ack", "%s",
                    options.ack == RABBITMQ_ACK_AUTO ? "auto" : "manual");
        setting_add(&out, SCN_SCOPE_GROUP, c->group, "prefetch", "%u", (unsigned)options.prefetch);
        setting_add(&out, SCN_SCOPE_GROUP, c->group, "dedup", "%s", c->dedup ? "true" : "false");
    }
    rabbitmq_version version = rabbitmq_version_of(scenario->cluster.preset);
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "version", "%s", rabbitmq_version_name(version));
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "confirm_after_fsync", "%s",
                rabbitmq_confirm_fsyncs(version) ? "true" : "false");
    char a[SCN_SETTING_VALUE_LEN];
    setting_add(&out, SCN_SCOPE_BROKERS, NULL, "os.dirty_expire", "%s",
                units_format_duration(scenario->cluster.os.dirty_expire_us, a, sizeof a));
    return out.count;
}

/* A queued message costs its table entry (rabbitmq_queue.h), in a ring that grows by
 * doubling: twice that at worst; every message may be retained at once. */
static double rabbitmq_retained_bytes(const scn_scenario *scenario,
                                      const double *messages_per_topic)
{
    double bytes = 0;
    for (uint32_t g = 0; g < scenario->consumer_count; g++)
        bytes += messages_per_topic[scenario->consumers[g].topic_index] * 2.0 * sizeof(rmq_entry);
    return bytes;
}

static uint64_t rabbitmq_messages(const void *state)
{
    const rabbitmq_run *run = state;
    return run->next_msg_id;
}

static void rabbitmq_free(void *state)
{
    rabbitmq_run *run = state;
    for (uint32_t i = 0; i < run->publisher_count; i++) rmq_publisher_free(run->publishers[i]);
    for (uint32_t i = 0; i < run->consumer_count; i++) rmq_consumer_free(run->consumers[i]);
    for (uint32_t b = 0; b < run->cluster.node_count; b++) rmq_node_free(run->nodes[b]);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) dedup_store_free(&run->dedup[g]);
    rmq_cluster_free(&run->cluster);
    free(run->publishers);
    free(run->consumers);
    free(run);
}

const broker_family rabbitmq_family = {
    .name = "rabbitmq",
    .schema = &rabbitmq_schema,
    .node_count = rabbitmq_node_count,
    .build = rabbitmq_build,
    .resolve = rabbitmq_resolve,
    .stall = rabbitmq_stall,
    .stall_held = rabbitmq_stall_held,
    .describe_stop = rabbitmq_describe_stop,
    .durability = rabbitmq_durability,
    .retained_bytes = rabbitmq_retained_bytes,
    .messages = rabbitmq_messages,
    .free = rabbitmq_free,
};
