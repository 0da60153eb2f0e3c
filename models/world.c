/* world.c — builds a run from a scenario and plays its fault timeline.
 *
 * The fault injector ("nemesis") is a node of its own: each timeline entry is an event
 * at its `at`; targets named by role (leader(orders/0), consumer(g/1)) are resolved when
 * the fault fires. At `duration` the drain phase begins: every partition and link fault
 * is healed, every stopped process restarted, disks repaired, stalls ended (DESIGN.md
 * rule 3), so what is not consumed by the end was really lost. Every action is written
 * to the history as a `fault` record. */
#include "world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "../engine/history.h"
#include "../engine/net.h"
#include "../engine/sim.h"
#include "kafka_broker.h"
#include "kafka_consumer.h"
#include "kafka_producer.h"

#define WORLD_TARGETS_MAX SIM_NODES_MAX

enum {
    NEMESIS_FAULT = SIM_EVENT_MODEL_BASE, /* arg: fault index */
    NEMESIS_RESTART,                      /* arg: node id, token: fault index */
    NEMESIS_UNDO,                         /* arg: fault index, token: rule id or node id */
    NEMESIS_DRAIN,
};

static struct {
    const scn_scenario *scenario;
    kafka_cluster cluster;
    kafka_broker *brokers[SCN_BROKERS_MAX];
    kafka_producer **producers;
    uint32_t producer_count;
    kafka_consumer **consumers;
    uint32_t consumer_count;
    kafka_dedup_store dedup[SCN_GROUPS_MAX];
    sim_node *nemesis;
    uint64_t next_msg_id;
    uint16_t hist_nemesis;
    char rule_targets[NET_RULES_MAX][HIST_NAME_LEN]; /* what each network rule cuts */
} g_world;

/* ---- target resolution ---- */

static uint32_t resolve(const scn_selector *sel, sim_node **out)
{
    const scn_scenario *scenario = g_world.scenario;
    uint32_t n = 0;
    switch (sel->kind) {
    case SCN_SEL_BROKER: out[n++] = g_world.brokers[sel->index]->node; break;
    case SCN_SEL_ALL_BROKERS:
        for (uint32_t b = 0; b < scenario->cluster.broker_count; b++) out[n++] = g_world.brokers[b]->node;
        break;
    case SCN_SEL_LEADER:
        out[n++] = g_world.brokers[kafka_leader_of(&g_world.cluster, sel->topic_index, sel->partition)]->node;
        break;
    case SCN_SEL_PRODUCER:
    case SCN_SEL_ALL_PRODUCERS:
    case SCN_SEL_ALL_CLIENTS:
        for (uint32_t i = 0; i < g_world.producer_count; i++) {
            kafka_producer *p = g_world.producers[i];
            bool all = sel->kind != SCN_SEL_PRODUCER;
            if (all || (p->entry == sel->index && (sel->all_instances || p->instance == sel->instance)))
                out[n++] = p->node;
        }
        if (sel->kind == SCN_SEL_ALL_CLIENTS) {
            for (uint32_t i = 0; i < g_world.consumer_count; i++) out[n++] = g_world.consumers[i]->node;
        }
        break;
    case SCN_SEL_CONSUMER:
    case SCN_SEL_ALL_CONSUMERS:
        for (uint32_t i = 0; i < g_world.consumer_count; i++) {
            kafka_consumer *c = g_world.consumers[i];
            bool all = sel->kind != SCN_SEL_CONSUMER;
            if (all || (c->group_index == sel->index && (sel->all_instances || c->instance == sel->instance)))
                out[n++] = c->node;
        }
        break;
    }
    return n;
}

static uint32_t resolve_set(const scn_node_set *set, uint32_t *ids)
{
    static sim_node *nodes[WORLD_TARGETS_MAX];
    uint32_t count = 0;
    for (uint32_t s = 0; s < set->count; s++) {
        uint32_t n = resolve(&set->selectors[s], nodes);
        for (uint32_t i = 0; i < n && count < WORLD_TARGETS_MAX; i++) ids[count++] = nodes[i]->id;
    }
    return count;
}

/* ---- history ---- */

static void record_fault(const char *kind, const char *target, hist_phase phase)
{
    hist_names *names = hist_names_table();
    hist_record rec = hist_record_init(HIST_FAULT, HIST_INFO, g_world.hist_nemesis, sim_now_us());
    rec.fault_kind = hist_names_intern(names, kind);
    rec.fault_target = hist_names_intern(names, target);
    rec.phase = (uint8_t)phase;
    hist_emit(HIST_STREAM_NOW, &rec);
}

static kafka_broker *broker_of_node(const sim_node *node)
{
    for (uint32_t b = 0; b < g_world.cluster.broker_count; b++)
        if (g_world.brokers[b]->node == node) return g_world.brokers[b];
    return NULL;
}

static kafka_consumer *consumer_of_node(const sim_node *node)
{
    for (uint32_t i = 0; i < g_world.consumer_count; i++)
        if (g_world.consumers[i]->node == node) return g_world.consumers[i];
    return NULL;
}

/* ---- applying faults ---- */

static void apply_process_fault(const scn_fault *fault, uint32_t index, sim_node **targets, uint32_t n)
{
    const char *kind = scn_fault_kind_name(fault->kind);
    for (uint32_t i = 0; i < n; i++) {
        sim_node *node = targets[i];
        record_fault(kind, node->name, HIST_PHASE_START);
        if (fault->kind == SCN_FAULT_RESTART) {
            sim_start_node(node);
            continue;
        }
        sim_stop_node(node, fault->kind == SCN_FAULT_CRASH);
        if (fault->restart_after_us >= 0)
            sim_schedule(g_world.nemesis, sim_now_us() + fault->restart_after_us, NEMESIS_RESTART, node->id, index, NULL);
    }
}

/* "broker/0 <-> broker/1,producer/shop/0" (-> when one-way), cut short to fit a
 * history name. */
static void describe_sides(const uint32_t *side_a, uint32_t count_a, const uint32_t *side_b, uint32_t count_b,
                           bool one_way, char out[HIST_NAME_LEN])
{
    size_t used = 0;
    const size_t room = HIST_NAME_LEN - 4; /* keeps space for "..." */
    for (uint32_t side = 0; side < 2; side++) {
        const uint32_t *ids = side == 0 ? side_a : side_b;
        uint32_t count = side == 0 ? count_a : count_b;
        if (side == 1) used += (size_t)snprintf(out + used, HIST_NAME_LEN - used, one_way ? " -> " : " <-> ");
        for (uint32_t i = 0; i < count && used < room; i++)
            used += (size_t)snprintf(out + used, HIST_NAME_LEN - used, "%s%s", i ? "," : "", sim_node_by_id(ids[i])->name);
        if (used >= room) {
            strcpy(out + room, "...");
            return;
        }
    }
}

static void apply_link_fault(const scn_fault *fault, uint32_t index)
{
    static uint32_t side_a[WORLD_TARGETS_MAX], side_b[WORLD_TARGETS_MAX];
    uint32_t count_a = resolve_set(&fault->side_a, side_a);
    uint32_t count_b = resolve_set(&fault->side_b, side_b);
    net_rule_kind kind = fault->kind == SCN_FAULT_PARTITION ? NET_RULE_CUT
                       : fault->kind == SCN_FAULT_LOSSY_LINK ? NET_RULE_LOSSY : NET_RULE_SLOW;
    uint32_t rule = net_add_rule(kind, side_a, count_a, side_b, count_b, fault->one_way, fault->drop_probability,
                                 fault->extra_latency_us);
    describe_sides(side_a, count_a, side_b, count_b, fault->one_way, g_world.rule_targets[rule]);
    record_fault(scn_fault_kind_name(fault->kind), g_world.rule_targets[rule], HIST_PHASE_START);
    if (fault->for_us > 0) sim_schedule(g_world.nemesis, sim_now_us() + fault->for_us, NEMESIS_UNDO, index, rule, NULL);
}

static void apply_fault(uint32_t index)
{
    const scn_fault *fault = &g_world.scenario->faults[index];
    static sim_node *targets[WORLD_TARGETS_MAX];
    switch (fault->kind) {
    case SCN_FAULT_CRASH:
    case SCN_FAULT_KILL9:
    case SCN_FAULT_RESTART:
        apply_process_fault(fault, index, targets, resolve(&fault->target, targets));
        return;
    case SCN_FAULT_PARTITION:
    case SCN_FAULT_LOSSY_LINK:
    case SCN_FAULT_SLOW_LINK:
        apply_link_fault(fault, index);
        return;
    case SCN_FAULT_HEAL:
        net_remove_all_rules();
        record_fault("heal", "all", HIST_PHASE_STOP);
        return;
    case SCN_FAULT_SLOW_DISK:
    case SCN_FAULT_DISK_FULL:
    case SCN_FAULT_STALL: break;
    }
    uint32_t n = resolve(&fault->target, targets);
    int64_t until_us = fault->for_us > 0 ? sim_now_us() + fault->for_us : g_world.scenario->duration_us;
    for (uint32_t i = 0; i < n; i++) {
        record_fault(scn_fault_kind_name(fault->kind), targets[i]->name, HIST_PHASE_START);
        kafka_broker *broker = broker_of_node(targets[i]);
        if (fault->kind == SCN_FAULT_SLOW_DISK) kafka_broker_set_disk_slowdown(broker, fault->factor);
        if (fault->kind == SCN_FAULT_DISK_FULL) kafka_broker_set_disk_full(broker, true);
        if (fault->kind == SCN_FAULT_STALL) kafka_consumer_stall(consumer_of_node(targets[i]), until_us);
        if (fault->kind != SCN_FAULT_STALL && fault->for_us > 0)
            sim_schedule(g_world.nemesis, until_us, NEMESIS_UNDO, index, targets[i]->id, NULL);
    }
}

static void undo_fault(uint32_t index, uint64_t token)
{
    const scn_fault *fault = &g_world.scenario->faults[index];
    const char *kind = scn_fault_kind_name(fault->kind);
    if (fault->kind == SCN_FAULT_PARTITION || fault->kind == SCN_FAULT_LOSSY_LINK || fault->kind == SCN_FAULT_SLOW_LINK) {
        net_remove_rule((uint32_t)token);
        record_fault(kind, g_world.rule_targets[token], HIST_PHASE_STOP);
        return;
    }
    sim_node *node = sim_node_by_id((uint32_t)token);
    kafka_broker *broker = broker_of_node(node);
    BL_ASSERT(broker != NULL);
    if (fault->kind == SCN_FAULT_SLOW_DISK) kafka_broker_set_disk_slowdown(broker, 1);
    if (fault->kind == SCN_FAULT_DISK_FULL) kafka_broker_set_disk_full(broker, false);
    record_fault(kind, node->name, HIST_PHASE_STOP);
}

/* The drain phase: heal everything, restart everything. */
static void start_drain(void)
{
    record_fault("drain", "all", HIST_PHASE_START);
    net_remove_all_rules();
    for (uint32_t id = 0; id < sim_node_count(); id++) {
        sim_node *node = sim_node_by_id(id);
        kafka_broker *broker = broker_of_node(node);
        if (broker != NULL) {
            kafka_broker_set_disk_full(broker, false);
            kafka_broker_set_disk_slowdown(broker, 1);
        }
        if (!node->process_up && node != g_world.nemesis) {
            sim_start_node(node);
            record_fault("restart", node->name, HIST_PHASE_STOP);
        }
    }
}

static void nemesis_on_event(sim_node *node, const sim_event *ev)
{
    switch (ev->kind) {
    case NEMESIS_FAULT: apply_fault(ev->arg); return;
    case NEMESIS_RESTART: {
        sim_node *target = sim_node_by_id(ev->arg);
        if (target->process_up) return;
        sim_start_node(target);
        record_fault(scn_fault_kind_name(g_world.scenario->faults[ev->token].kind), target->name, HIST_PHASE_STOP);
        return;
    }
    case NEMESIS_UNDO: undo_fault(ev->arg, ev->token); return;
    case NEMESIS_DRAIN: start_drain(); return;
    default: BL_ASSERTF(false, "nemesis event kind %u", ev->kind);
    }
}

static void nemesis_on_start(sim_node *node)
{
    const scn_scenario *scenario = g_world.scenario;
    for (uint32_t i = 0; i < scenario->fault_count; i++)
        sim_schedule(node, scenario->faults[i].at_us, NEMESIS_FAULT, i, 0, NULL);
    sim_schedule(node, scenario->duration_us, NEMESIS_DRAIN, 0, 0, NULL);
}

static void nemesis_free_data(uint32_t kind, void *data)
{
    BL_ASSERTF(false, "the nemesis has no event data (kind %u, %p)", kind, data);
}

static const sim_node_ops nemesis_ops = {
    .on_event = nemesis_on_event,
    .on_start = nemesis_on_start,
    .free_data = nemesis_free_data,
};

/* ---- construction ---- */

static uint32_t count_nodes(const scn_scenario *scenario)
{
    uint32_t n = scenario->cluster.broker_count + 1;
    for (uint32_t i = 0; i < scenario->producer_count; i++) n += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++) n += scenario->consumers[i].count;
    return n;
}

static void build(const scn_scenario *scenario)
{
    kafka_cluster *cluster = &g_world.cluster;
    cluster->scenario = scenario;
    cluster->broker_count = scenario->cluster.broker_count;
    for (uint32_t b = 0; b < cluster->broker_count; b++) {
        g_world.brokers[b] = kafka_broker_create(cluster, b);
        cluster->brokers[b] = g_world.brokers[b]->node;
    }
    for (uint32_t i = 0; i < scenario->producer_count; i++) g_world.producer_count += scenario->producers[i].count;
    for (uint32_t i = 0; i < scenario->consumer_count; i++) g_world.consumer_count += scenario->consumers[i].count;
    g_world.producers = calloc(g_world.producer_count + 1, sizeof *g_world.producers);
    g_world.consumers = calloc(g_world.consumer_count + 1, sizeof *g_world.consumers);
    BL_ASSERT(g_world.producers != NULL && g_world.consumers != NULL);
    uint32_t k = 0;
    for (uint32_t i = 0; i < scenario->producer_count; i++)
        for (uint32_t n = 0; n < scenario->producers[i].count; n++)
            g_world.producers[k++] = kafka_producer_create(cluster, i, n, &g_world.next_msg_id);
    k = 0;
    for (uint32_t i = 0; i < scenario->consumer_count; i++)
        for (uint32_t n = 0; n < scenario->consumers[i].count; n++)
            g_world.consumers[k++] = kafka_consumer_create(cluster, i, n, &g_world.dedup[i]);
    g_world.nemesis = sim_add_node("nemesis", SIM_ROLE_NEMESIS, &nemesis_ops, NULL);
    g_world.hist_nemesis = hist_names_intern(hist_names_table(), "nemesis");
    g_world.nemesis->hist_name = g_world.hist_nemesis;
}

static void history_tick(int64_t now_us, void *ctx)
{
    hist_maybe_flush(now_us);
}

int world_run(const scn_scenario *scenario, uint64_t seed, world_stats *stats, char error[SIM_ERROR_LEN])
{
    scn_scenario *seeded = malloc(sizeof *seeded);
    BL_ASSERT(seeded != NULL);
    memcpy(seeded, scenario, sizeof *seeded);
    seeded->seed = seed;
    memset(&g_world, 0, sizeof g_world);
    g_world.scenario = seeded;
    const char *platform = seeded->cluster.network.platform;
    sim_config config = {.node_count = count_nodes(seeded),
                         .platform_file = platform[0] != '\0' ? platform : NULL,
                         .latency_us = seeded->cluster.network.latency_us,
                         .bandwidth_bytes_per_s = seeded->cluster.network.bandwidth_bytes_per_s,
                         .end_us = seeded->duration_us + seeded->drain_us,
                         .simgrid_flows = seeded->cluster.network.model == SCN_NETWORK_SIMGRID};
    sim_init(&config);
    net_init(seed);
    if (config.simgrid_flows) net_use_simgrid_flows();
    build(seeded);
    sim_set_tick_hook(history_tick, NULL);
    int rc = sim_run(error);
    memset(stats, 0, sizeof *stats);
    if (rc == 0) {
        stats->sim_time_s = (double)config.end_us / 1e6;
        stats->wakes = sim_total_wakes();
        stats->packets = net_packets_delivered();
        stats->messages = g_world.next_msg_id;
        stats->nodes = config.node_count;
    }
    for (uint32_t i = 0; i < g_world.producer_count; i++) kafka_producer_free(g_world.producers[i]);
    for (uint32_t i = 0; i < g_world.consumer_count; i++) kafka_consumer_free(g_world.consumers[i]);
    sim_shutdown();
    for (uint32_t b = 0; b < g_world.cluster.broker_count; b++) kafka_broker_free(g_world.brokers[b]);
    for (uint32_t g = 0; g < SCN_GROUPS_MAX; g++) kafka_dedup_free(&g_world.dedup[g]);
    net_shutdown();
    kafka_msg_pool_drain();
    free(g_world.producers);
    free(g_world.consumers);
    free(seeded);
    return rc;
}
