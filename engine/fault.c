/* fault.c — the fault injector: the timeline, target resolution, fault records and the
 * heal-and-drain (see fault.h). */
#include "fault.h"

#include <stdio.h>
#include <string.h>

#include "bl_assert.h"
#include "disk.h"
#include "history.h"
#include "net.h"

#define FAULT_TARGETS_MAX SIM_NODES_MAX

enum {
    NEMESIS_FAULT = SIM_EVENT_MODEL_BASE, /* arg: fault index */
    NEMESIS_RESTART,                      /* arg: node id, token: fault index */
    NEMESIS_UNDO,                         /* arg: fault index, token: rule id or node id */
    NEMESIS_DRAIN,
};

static struct {
    const scn_scenario *scenario;
    fault_hooks hooks;
    sim_node *nemesis;
    char rule_targets[NET_RULES_MAX][HIST_NAME_LEN]; /* what each network rule cuts */
} g_fault;

/* ---- target resolution ---- */

static bool node_is_client(const sim_node *node)
{
    return node->role == SIM_ROLE_PRODUCER || node->role == SIM_ROLE_CONSUMER;
}

/* Whether `node` is one the generic selector names. Nodes are visited in id order:
 * brokers, then producers entry by entry, then consumers, as the family built them. */
static bool selector_matches(const scn_selector *sel, const sim_node *node)
{
    switch (sel->kind) {
    case SCN_SEL_BROKER: return node->role == SIM_ROLE_BROKER && node->entry == sel->index;
    case SCN_SEL_ALL_BROKERS: return node->role == SIM_ROLE_BROKER;
    case SCN_SEL_ALL_PRODUCERS: return node->role == SIM_ROLE_PRODUCER;
    case SCN_SEL_ALL_CONSUMERS: return node->role == SIM_ROLE_CONSUMER;
    case SCN_SEL_ALL_CLIENTS: return node_is_client(node);
    case SCN_SEL_PRODUCER:
    case SCN_SEL_CONSUMER:
        return node->role ==
                   (sel->kind == SCN_SEL_PRODUCER ? SIM_ROLE_PRODUCER : SIM_ROLE_CONSUMER) &&
               node->entry == sel->index && (sel->all_instances || node->instance == sel->instance);
    case SCN_SEL_FAMILY: break;
    }
    BL_ASSERTF(false, "selector kind %d is not the engine's", (int)sel->kind);
}

static uint32_t resolve(const scn_selector *sel, sim_node **out)
{
    if (sel->kind == SCN_SEL_FAMILY) {
        BL_ASSERTF(g_fault.hooks.resolve != NULL, "a family selector without a family resolver");
        return g_fault.hooks.resolve(g_fault.hooks.ctx, sel, out, FAULT_TARGETS_MAX);
    }
    uint32_t n = 0;
    for (uint32_t id = 0; id < sim_node_count(); id++) {
        sim_node *node = sim_node_by_id(id);
        if (selector_matches(sel, node)) out[n++] = node;
    }
    return n;
}

static uint32_t resolve_set(const scn_node_set *set, uint32_t *ids)
{
    static sim_node *nodes[FAULT_TARGETS_MAX];
    uint32_t count = 0;
    for (uint32_t s = 0; s < set->count; s++) {
        uint32_t n = resolve(&set->selectors[s], nodes);
        for (uint32_t i = 0; i < n && count < FAULT_TARGETS_MAX; i++) ids[count++] = nodes[i]->id;
    }
    return count;
}

/* ---- history ---- */

static void record_fault(const char *kind, const char *target, hist_phase phase)
{
    hist_names *names = hist_names_table();
    hist_record rec =
        hist_record_init(HIST_FAULT, HIST_INFO, g_fault.nemesis->hist_name, sim_now_us());
    rec.fault_kind = hist_names_intern(names, kind);
    rec.fault_target = hist_names_intern(names, target);
    rec.phase = (uint8_t)phase;
    hist_emit(HIST_STREAM_NOW, &rec);
}

/* ---- applying faults ---- */

static disk *disk_of(const sim_node *node)
{
    BL_ASSERTF(node->disk != NULL, "a disk fault on %s, which has no disk", node->name);
    return node->disk;
}

static void apply_process_fault(const scn_fault *fault, uint32_t index, sim_node **targets,
                                uint32_t n)
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
            sim_schedule(g_fault.nemesis, sim_now_us() + fault->restart_after_us, NEMESIS_RESTART,
                         node->id, index, NULL);
    }
}

/* "broker/0 <-> broker/1,producer/shop/0" (-> when one-way), cut short to fit a
 * history name. */
static void describe_sides(const uint32_t *side_a, uint32_t count_a, const uint32_t *side_b,
                           uint32_t count_b, bool one_way, char out[HIST_NAME_LEN])
{
    size_t used = 0;
    const size_t room = HIST_NAME_LEN - 4; /* keeps space for "..." */
    for (uint32_t side = 0; side < 2; side++) {
        const uint32_t *ids = side == 0 ? side_a : side_b;
        uint32_t count = side == 0 ? count_a : count_b;
        if (side == 1)
            used += (size_t)snprintf(out + used, HIST_NAME_LEN - used, one_way ? " -> " : " <-> ");
        for (uint32_t i = 0; i < count && used < room; i++)
            used += (size_t)snprintf(out + used, HIST_NAME_LEN - used, "%s%s", i ? "," : "",
                                     sim_node_by_id(ids[i])->name);
        if (used >= room) {
            strcpy(out + room, "...");
            return;
        }
    }
}

static void apply_link_fault(const scn_fault *fault, uint32_t index)
{
    static uint32_t side_a[FAULT_TARGETS_MAX], side_b[FAULT_TARGETS_MAX];
    uint32_t count_a = resolve_set(&fault->side_a, side_a);
    uint32_t count_b = resolve_set(&fault->side_b, side_b);
    net_rule_kind kind = fault->kind == SCN_FAULT_PARTITION    ? NET_RULE_CUT
                         : fault->kind == SCN_FAULT_LOSSY_LINK ? NET_RULE_LOSSY
                                                               : NET_RULE_SLOW;
    net_rule_spec spec = {.kind = kind,
                          .side_a = side_a,
                          .count_a = count_a,
                          .side_b = side_b,
                          .count_b = count_b,
                          .one_way = fault->one_way,
                          .drop_per_million = fault->drop_per_million,
                          .extra_latency_us = fault->extra_latency_us};
    uint32_t rule = net_add_rule(&spec);
    describe_sides(side_a, count_a, side_b, count_b, fault->one_way, g_fault.rule_targets[rule]);
    record_fault(scn_fault_kind_name(fault->kind), g_fault.rule_targets[rule], HIST_PHASE_START);
    if (fault->for_us > 0)
        sim_schedule(g_fault.nemesis, sim_now_us() + fault->for_us, NEMESIS_UNDO, index, rule,
                     NULL);
}

static void apply_node_fault(const scn_fault *fault, uint32_t index, sim_node **targets, uint32_t n)
{
    int64_t until_us =
        fault->for_us > 0 ? sim_now_us() + fault->for_us : g_fault.scenario->duration_us;
    for (uint32_t i = 0; i < n; i++) {
        record_fault(scn_fault_kind_name(fault->kind), targets[i]->name, HIST_PHASE_START);
        if (fault->kind == SCN_FAULT_SLOW_DISK) {
            BL_ASSERT(fault->factor >= 1);
            disk_of(targets[i])->slow_factor = fault->factor;
        }
        if (fault->kind == SCN_FAULT_DISK_FULL) disk_of(targets[i])->full = true;
        if (fault->kind == SCN_FAULT_STALL) {
            BL_ASSERTF(g_fault.hooks.stall != NULL, "a stall fault without a family hook");
            g_fault.hooks.stall(g_fault.hooks.ctx, targets[i], until_us);
        }
        /* A stall always ends, at until_us (the end of the load phase when open-ended):
         * its stop record says so. */
        if (fault->kind == SCN_FAULT_STALL || fault->for_us > 0)
            sim_schedule(g_fault.nemesis, until_us, NEMESIS_UNDO, index, targets[i]->id, NULL);
    }
}

static void apply_fault(uint32_t index)
{
    const scn_fault *fault = &g_fault.scenario->faults[index];
    static sim_node *targets[FAULT_TARGETS_MAX];
    switch (fault->kind) {
    case SCN_FAULT_CRASH:
    case SCN_FAULT_KILL9:
    case SCN_FAULT_RESTART:
        apply_process_fault(fault, index, targets, resolve(&fault->target, targets));
        return;
    case SCN_FAULT_PARTITION:
    case SCN_FAULT_LOSSY_LINK:
    case SCN_FAULT_SLOW_LINK: apply_link_fault(fault, index); return;
    case SCN_FAULT_HEAL:
        net_remove_all_rules();
        record_fault("heal", "all", HIST_PHASE_STOP);
        return;
    case SCN_FAULT_SLOW_DISK:
    case SCN_FAULT_DISK_FULL:
    case SCN_FAULT_STALL:
        apply_node_fault(fault, index, targets, resolve(&fault->target, targets));
        return;
    }
    BL_ASSERTF(false, "fault kind %d", (int)fault->kind);
}

static void undo_fault(uint32_t index, uint64_t token)
{
    const scn_fault *fault = &g_fault.scenario->faults[index];
    const char *kind = scn_fault_kind_name(fault->kind);
    if (fault->kind == SCN_FAULT_PARTITION || fault->kind == SCN_FAULT_LOSSY_LINK ||
        fault->kind == SCN_FAULT_SLOW_LINK) {
        net_remove_rule((uint32_t)token);
        record_fault(kind, g_fault.rule_targets[token], HIST_PHASE_STOP);
        return;
    }
    BL_ASSERT(fault->kind == SCN_FAULT_SLOW_DISK || fault->kind == SCN_FAULT_DISK_FULL ||
              fault->kind == SCN_FAULT_STALL);
    sim_node *node = sim_node_by_id((uint32_t)token);
    if (fault->kind == SCN_FAULT_SLOW_DISK) disk_of(node)->slow_factor = 1;
    if (fault->kind == SCN_FAULT_DISK_FULL) disk_of(node)->full = false;
    record_fault(kind, node->name, HIST_PHASE_STOP);
}

/* The drain phase: heal everything, restart everything. */
static void start_drain(void)
{
    record_fault("drain", "all", HIST_PHASE_START);
    net_remove_all_rules();
    for (uint32_t id = 0; id < sim_node_count(); id++) {
        sim_node *node = sim_node_by_id(id);
        if (node->disk != NULL) {
            node->disk->full = false;
            node->disk->slow_factor = 1;
        }
        if (!node->process_up && node != g_fault.nemesis) {
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
        record_fault(scn_fault_kind_name(g_fault.scenario->faults[ev->token].kind), target->name,
                     HIST_PHASE_STOP);
        return;
    }
    case NEMESIS_UNDO: undo_fault(ev->arg, ev->token); return;
    case NEMESIS_DRAIN: start_drain(); return;
    default: BL_ASSERTF(false, "nemesis event kind %u", ev->kind);
    }
}

static void nemesis_on_start(sim_node *node)
{
    const scn_scenario *scenario = g_fault.scenario;
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

void fault_injector_create(const scn_scenario *scenario, const fault_hooks *hooks)
{
    memset(&g_fault, 0, sizeof g_fault);
    g_fault.scenario = scenario;
    g_fault.hooks = *hooks;
    g_fault.nemesis = sim_add_node("nemesis", SIM_ROLE_NEMESIS, &nemesis_ops, NULL);
    g_fault.nemesis->hist_name = hist_names_intern(hist_names_table(), "nemesis");
}
