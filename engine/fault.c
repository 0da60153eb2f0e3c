/* fault.c — the fault injector: the timeline, target resolution, fault records, the
 * heal-and-drain, and what each fault hit (see fault.h). */
#include "fault.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"
#include "disk.h"
#include "history.h"
#include "net.h"
#include "units.h"
#include "vec.h"

/* One network rule per network fault, every fault at once at worst. */
_Static_assert(NET_RULES_MAX >= SCN_FAULTS_MAX, "every network fault's rule fits");
#define FAULT_TARGETS_MAX SIM_NODES_MAX
/* A growing text (a target's selectors, a network fault's node lists): bounded by the
 * node count (history target) or by the scenario's selectors. */
#define FAULT_TEXT_MAX    HIST_LONG_NAME_LEN

_Static_assert(sizeof(((sim_node *)0)->name) == HIST_NAME_LEN, "node names are history names");
/* A network fault's history target: both sides, each node once per side. */
_Static_assert(2 * (size_t)FAULT_TARGETS_MAX * HIST_NAME_LEN + 8 <= HIST_LONG_NAME_LEN,
               "a network fault's target fits a long history name");

enum {
    NEMESIS_FAULT = SIM_EVENT_MODEL_BASE, /* arg: fault index */
    NEMESIS_RESTART,                      /* arg: node id, token: fault index */
    NEMESIS_UNDO,                         /* arg: fault index, token: rule id or node id */
    NEMESIS_DRAIN,
};

/* How long a fault acts on one node (or, for a network fault, how long its rule holds). */
typedef struct fault_window {
    uint32_t id;    /* the node id (the rule id for a network fault's rule) */
    bool open;      /* the fault still acts */
    bool drained;   /* it still acted when the drain began: no end of its own */
    int64_t end_us; /* when it stopped acting, unless drained */
    uint64_t base;  /* disk faults, stall: the node's counter when it began */
} fault_window;

/* The injector's own bookkeeping of one timeline entry, beside its public effect. */
typedef struct fault_state {
    fault_window *windows; /* crash, kill9, disk faults, stall: one per node it acts on
                              (at most the node count), grown as it resolves them */
    uint32_t window_count, window_capacity;
    bool has_rule; /* network faults: the rule it added, as a window */
    fault_window rule;
    char *history_target;    /* network faults: the node lists its records name, whole */
    uint32_t side_counts[2]; /* network faults: the nodes of each side */
    uint32_t summary_more;   /* process faults: nodes left out of the summary for room */
} fault_state;

typedef struct fault_text {
    char *text;
    uint32_t length, capacity;
} fault_text;

static struct {
    const scn_scenario *scenario;
    fault_hooks hooks;
    sim_node *nemesis;
    uint32_t rule_fault[NET_RULES_MAX]; /* fault index + 1 of each live rule; 0 = none */
    fault_effect *effects;              /* one per timeline entry */
    fault_state *states;
    uint32_t count;
    bool finished;
    /* The fault that stopped each node (crash or kill9) while it is down, so its end
     * is recorded as that fault's stop, also when only the drain restarts it. */
    scn_fault_kind stopped_by[SIM_NODES_MAX];
} g_fault;

/* ---- text ---- */

static void text_add(fault_text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void text_add(fault_text *t, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int n = vsnprintf(NULL, 0, format, args);
    va_end(args);
    BL_ASSERT(n >= 0);
    BL_GROW(t->text, t->capacity, (uint64_t)t->length + (uint64_t)n + 1, FAULT_TEXT_MAX,
            "fault text");
    va_start(args, format);
    vsnprintf(t->text + t->length, t->capacity - t->length, format, args);
    va_end(args);
    t->length += (uint32_t)n;
}

/* The text, "" when nothing was added; the caller owns it. */
static char *text_take(fault_text *t)
{
    if (t->text == NULL) text_add(t, "%s", "");
    return t->text;
}

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

/* Adds to nodes[0..n) the node each one shares its process with (sim_node.same_process:
 * a controller in a broker's JVM dies, restarts and is cut off with it), each once;
 * returns the new count. */
static uint32_t with_same_process(sim_node **nodes, uint32_t n)
{
    uint32_t count = n;
    for (uint32_t i = 0; i < n; i++) {
        sim_node *other = nodes[i]->same_process;
        if (other == NULL) continue;
        bool listed = false;
        for (uint32_t j = 0; j < count && !listed; j++) listed = nodes[j] == other;
        if (listed) continue;
        BL_ASSERT(count < FAULT_TARGETS_MAX);
        nodes[count++] = other;
    }
    return count;
}

/* The nodes of one side, each once (`[brokers, broker(0)]` names broker/0 once), in the
 * order the selectors name them, with the nodes in their processes: at most the node
 * count. */
static uint32_t resolve_set(const scn_node_set *set, uint32_t *ids)
{
    static sim_node *nodes[FAULT_TARGETS_MAX];
    static uint8_t seen[FAULT_TARGETS_MAX];
    BL_ASSERT(sim_node_count() <= FAULT_TARGETS_MAX);
    memset(seen, 0, sim_node_count());
    uint32_t count = 0;
    for (uint32_t s = 0; s < set->count; s++) {
        uint32_t n = with_same_process(nodes, resolve(&set->selectors[s], nodes));
        for (uint32_t i = 0; i < n; i++) {
            uint32_t id = nodes[i]->id;
            if (seen[id]) continue;
            seen[id] = 1;
            ids[count++] = id;
        }
    }
    BL_ASSERT(count <= sim_node_count());
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

/* "broker/0 <-> broker/1,producer/shop/0" (-> when one-way): every node of both sides,
 * written whole (HIST_LONG_NAME_LEN bounds it). */
static char *describe_sides(const uint32_t *side_a, uint32_t count_a, const uint32_t *side_b,
                            uint32_t count_b, bool one_way)
{
    fault_text text = {0};
    for (uint32_t i = 0; i < count_a; i++)
        text_add(&text, "%s%s", i ? "," : "", sim_node_by_id(side_a[i])->name);
    text_add(&text, "%s", one_way ? " -> " : " <-> ");
    for (uint32_t i = 0; i < count_b; i++)
        text_add(&text, "%s%s", i ? "," : "", sim_node_by_id(side_b[i])->name);
    BL_ASSERT(text.length < HIST_LONG_NAME_LEN);
    return text_take(&text);
}

/* ---- effects: counting ---- */

static bool is_network_fault(scn_fault_kind kind)
{
    return kind == SCN_FAULT_PARTITION || kind == SCN_FAULT_LOSSY_LINK ||
           kind == SCN_FAULT_SLOW_LINK;
}

static void effect_count(fault_effect *effect, const char *name, uint64_t value)
{
    for (uint32_t i = 0; i < effect->counter_count; i++) {
        if (strcmp(effect->counters[i].name, name) != 0) continue;
        effect->counters[i].value += value;
        return;
    }
    BL_ASSERTF(effect->counter_count < FAULT_COUNTERS_MAX, "more than %d counters for %s",
               FAULT_COUNTERS_MAX, scn_fault_kind_name(effect->kind));
    effect->counters[effect->counter_count++] = (fault_counter){.name = name, .value = value};
}

static uint64_t effect_counter(const fault_effect *effect, const char *name)
{
    for (uint32_t i = 0; i < effect->counter_count; i++)
        if (strcmp(effect->counters[i].name, name) == 0) return effect->counters[i].value;
    return 0;
}

/* The counter a disk fault or a stall grows on its node, read through its mechanism. */
static const char *node_counter_name(scn_fault_kind kind)
{
    switch (kind) {
    case SCN_FAULT_SLOW_DISK: return "fsyncs_slowed";
    case SCN_FAULT_DISK_FULL: return "writes_refused";
    case SCN_FAULT_STALL: return "records_held";
    default: BL_ASSERTF(false, "fault kind %d has no node counter", (int)kind);
    }
    return NULL;
}

static uint64_t node_counter(scn_fault_kind kind, const sim_node *node)
{
    if (kind == SCN_FAULT_STALL)
        return g_fault.hooks.stall_held != NULL ? g_fault.hooks.stall_held(g_fault.hooks.ctx, node)
                                                : 0;
    BL_ASSERTF(node->disk != NULL, "a disk fault on %s, which has no disk", node->name);
    return kind == SCN_FAULT_SLOW_DISK ? node->disk->fsyncs_slowed
                                       : node->disk->appends_refused_full;
}

/* Counters every entry of a kind has, 0 until counted, so one kind's effects have one
 * shape. A crash's and a kill9's come from the family, per node stopped. */
static void effect_init_counters(fault_effect *effect)
{
    switch (effect->kind) {
    case SCN_FAULT_CRASH:
    case SCN_FAULT_KILL9: return;
    case SCN_FAULT_RESTART: effect_count(effect, "restarted", 0); return;
    case SCN_FAULT_PARTITION: effect_count(effect, "packets_dropped", 0); return;
    case SCN_FAULT_LOSSY_LINK:
        effect_count(effect, "packets_delayed", 0);
        effect_count(effect, "packets_lost", 0);
        return;
    case SCN_FAULT_SLOW_LINK: effect_count(effect, "packets_delayed", 0); return;
    case SCN_FAULT_HEAL: effect_count(effect, "faults_healed", 0); return;
    case SCN_FAULT_SLOW_DISK:
    case SCN_FAULT_DISK_FULL:
    case SCN_FAULT_STALL: effect_count(effect, node_counter_name(effect->kind), 0); return;
    }
    BL_ASSERTF(false, "fault kind %d", (int)effect->kind);
}

static void window_close(fault_window *window, bool by_drain)
{
    BL_ASSERT(window->open);
    window->open = false;
    window->drained = by_drain;
    window->end_us = sim_now_us();
}

static fault_window *window_open(fault_state *state, uint32_t node_id, uint64_t base)
{
    BL_GROW(state->windows, state->window_capacity, (uint64_t)state->window_count + 1,
            FAULT_TARGETS_MAX, "fault windows");
    uint32_t n = state->window_count++;
    BL_ASSERT(n < sim_node_count());
    state->windows[n] = (fault_window){.id = node_id, .open = true, .base = base};
    return &state->windows[n];
}

static fault_window *window_of(fault_state *state, uint32_t node_id)
{
    for (uint32_t i = 0; i < state->window_count; i++)
        if (state->windows[i].id == node_id) return &state->windows[i];
    return NULL;
}

/* The end of a network fault's rule: what it dropped or delayed while it held (net.c's
 * counts), then the rule goes. */
static void rule_close(uint32_t index, bool by_drain)
{
    fault_state *state = &g_fault.states[index];
    fault_effect *effect = &g_fault.effects[index];
    BL_ASSERT(state->has_rule && state->rule.open);
    uint32_t rule = state->rule.id;
    BL_ASSERT(g_fault.rule_fault[rule] == index + 1);
    net_rule_counts counts = net_rule_counts_of(rule);
    if (effect->kind == SCN_FAULT_PARTITION)
        effect_count(effect, "packets_dropped", counts.dropped);
    if (effect->kind != SCN_FAULT_PARTITION)
        effect_count(effect, "packets_delayed", counts.delayed);
    if (effect->kind == SCN_FAULT_LOSSY_LINK) effect_count(effect, "packets_lost", counts.lost);
    window_close(&state->rule, by_drain);
    g_fault.rule_fault[rule] = 0;
    net_remove_rule(rule);
}

/* The end of a disk fault or a stall on one node: its counter's growth meanwhile. */
static void node_window_close(uint32_t index, fault_window *window, bool by_drain)
{
    fault_effect *effect = &g_fault.effects[index];
    if (!window->open) return;
    uint64_t now = node_counter(effect->kind, sim_node_by_id(window->id));
    BL_ASSERT(now >= window->base);
    effect_count(effect, node_counter_name(effect->kind), now - window->base);
    window_close(window, by_drain);
}

/* `node` runs again (restart_after, a restart fault): every crash or kill9 acting on it
 * ends. The drain's restarts come after windows_close_all. */
static void process_windows_close(const sim_node *node)
{
    for (uint32_t f = 0; f < g_fault.count; f++) {
        scn_fault_kind kind = g_fault.effects[f].kind;
        if (kind != SCN_FAULT_CRASH && kind != SCN_FAULT_KILL9) continue;
        fault_window *window = window_of(&g_fault.states[f], node->id);
        if (window != NULL && window->open) window_close(window, false);
    }
}

/* Closes every window still open (the drain, or the end of a run without one). */
static void windows_close_all(void)
{
    for (uint32_t f = 0; f < g_fault.count; f++) {
        fault_state *state = &g_fault.states[f];
        if (state->has_rule && state->rule.open) rule_close(f, true);
        for (uint32_t w = 0; w < state->window_count; w++) {
            fault_window *window = &state->windows[w];
            if (!window->open) continue;
            scn_fault_kind kind = g_fault.effects[f].kind;
            if (kind == SCN_FAULT_CRASH || kind == SCN_FAULT_KILL9)
                window_close(window, true);
            else
                node_window_close(f, window, true);
        }
    }
}

/* The nodes a fault resolved to, in history naming. */
static void effect_set_nodes(fault_effect *effect, sim_node *const *nodes, uint32_t n)
{
    BL_ASSERT(effect->nodes == NULL && n <= sim_node_count());
    effect->nodes = calloc(n > 0 ? n : 1, sizeof *effect->nodes);
    BL_ASSERT(effect->nodes != NULL);
    for (uint32_t i = 0; i < n; i++) memcpy(effect->nodes[i], nodes[i]->name, HIST_NAME_LEN);
    effect->node_count = n;
}

/* One node's part of a process fault's summary: "broker/1 led 2 partitions ...", joined
 * by "; ", as many as fit. */
static void summary_add_node(uint32_t index, const sim_node *node, const char *phrase)
{
    fault_effect *effect = &g_fault.effects[index];
    size_t used = strlen(effect->summary);
    char part[HIST_NAME_LEN + FAULT_PHRASE_LEN + 4];
    int n = snprintf(part, sizeof part, "%s%s %s", used > 0 ? "; " : "", node->name, phrase);
    BL_ASSERT(n > 0);
    if (used + (size_t)n + 32 < FAULT_SUMMARY_LEN) /* room left for "; and N more nodes" */
        memcpy(effect->summary + used, part, (size_t)n + 1);
    else
        g_fault.states[index].summary_more++;
}

/* ---- effects: the summary, once the run is over ---- */

static const char *plural(unsigned long long count)
{
    return count == 1 ? "" : "s";
}

static void summary_network(const fault_effect *effect, char *out)
{
    const scn_fault *fault = &g_fault.scenario->faults[effect - g_fault.effects];
    unsigned long long delayed = effect_counter(effect, "packets_delayed");
    if (effect->kind == SCN_FAULT_PARTITION) {
        unsigned long long dropped = effect_counter(effect, "packets_dropped");
        if (dropped > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "dropped %llu packet%s between its sides", dropped,
                     plural(dropped));
        else
            snprintf(out, FAULT_SUMMARY_LEN, "no packet crossed the partition");
    } else if (effect->kind == SCN_FAULT_LOSSY_LINK) {
        unsigned long long lost = effect_counter(effect, "packets_lost");
        if (delayed + lost > 0)
            snprintf(out, FAULT_SUMMARY_LEN,
                     "dropped transmissions of %llu packet%s: %llu got through after TCP "
                     "retransmissions, %llu were lost with their connection",
                     delayed + lost, plural(delayed + lost), delayed, lost);
        else
            snprintf(out, FAULT_SUMMARY_LEN, "no transmission was dropped");
    } else {
        char latency[32];
        units_format_duration(fault->extra_latency_us, latency, sizeof latency);
        if (delayed > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "delayed %llu packet%s by %s", delayed,
                     plural(delayed), latency);
        else
            snprintf(out, FAULT_SUMMARY_LEN, "no packet crossed the slow link");
    }
}

static void summary_node_fault(const fault_effect *effect, char *out)
{
    const scn_fault *fault = &g_fault.scenario->faults[effect - g_fault.effects];
    bool many = effect->node_count > 1;
    char who[HIST_NAME_LEN + 16]; /* "broker/0", "the 3 nodes" */
    if (many)
        snprintf(who, sizeof who, "the %u nodes", (unsigned)effect->node_count);
    else
        snprintf(who, sizeof who, "%s", effect->nodes[0]);
    const char *its = many ? "their disks were" : "its disk was";
    unsigned long long count = effect_counter(effect, node_counter_name(effect->kind));
    switch (effect->kind) {
    case SCN_FAULT_SLOW_DISK:
        if (count > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "%llu fsync%s of %s ran %ux slower", count,
                     plural(count), who, (unsigned)fault->factor);
        else
            snprintf(out, FAULT_SUMMARY_LEN, "%s ran no fsync while %s slow", who, its);
        return;
    case SCN_FAULT_DISK_FULL:
        if (count > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "the full disk%s of %s refused %llu write%s",
                     many ? "s" : "", who, count, plural(count));
        else
            snprintf(out, FAULT_SUMMARY_LEN, "%s wrote nothing while %s full", who, its);
        return;
    case SCN_FAULT_STALL:
        if (count > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "%s held back %llu record%s until the stall ended",
                     who, count, plural(count));
        else
            snprintf(out, FAULT_SUMMARY_LEN, "%s had no record to process during the stall", who);
        return;
    default: BL_ASSERTF(false, "fault kind %d is not a node fault", (int)effect->kind);
    }
}

static void effect_finish(uint32_t index)
{
    fault_effect *effect = &g_fault.effects[index];
    fault_state *state = &g_fault.states[index];
    bool open = false;
    int64_t until_us = effect->at_us; /* a fault that acts at once, or stopped nothing */
    uint32_t windows = state->window_count + (state->has_rule ? 1 : 0);
    for (uint32_t w = 0; w < windows; w++) {
        const fault_window *window = w < state->window_count ? &state->windows[w] : &state->rule;
        BL_ASSERT(!window->open);
        if (window->drained) open = true;
        if (window->end_us > until_us) until_us = window->end_us;
    }
    effect->until_us = open ? FAULT_OPEN : until_us;
    effect->bit = false;
    for (uint32_t i = 0; i < effect->counter_count; i++)
        effect->bit |= effect->counters[i].value > 0;
    char *out = effect->summary;
    size_t used = strlen(out);
    if (effect->node_count == 0 && effect->kind != SCN_FAULT_HEAL) {
        snprintf(out, FAULT_SUMMARY_LEN, "targeted nothing: %s matched no node", effect->target);
    } else if (effect->kind == SCN_FAULT_CRASH || effect->kind == SCN_FAULT_KILL9 ||
               effect->kind == SCN_FAULT_RESTART) {
        if (state->summary_more > 0)
            snprintf(out + used, FAULT_SUMMARY_LEN - used, "; and %u more nodes",
                     (unsigned)state->summary_more);
    } else if (effect->kind == SCN_FAULT_HEAL) {
        unsigned long long healed = effect_counter(effect, "faults_healed");
        if (healed > 0)
            snprintf(out, FAULT_SUMMARY_LEN, "removed %llu network fault%s", healed,
                     plural(healed));
        else
            snprintf(out, FAULT_SUMMARY_LEN, "no network fault was active");
    } else if (is_network_fault(effect->kind) &&
               (state->side_counts[0] == 0 || state->side_counts[1] == 0)) {
        snprintf(out, FAULT_SUMMARY_LEN, "targeted nothing: its %s side matched no node",
                 state->side_counts[0] == 0 ? "first" : "second");
    } else if (is_network_fault(effect->kind)) {
        summary_network(effect, out);
    } else {
        summary_node_fault(effect, out);
    }
}

/* ---- applying faults ---- */

static disk *disk_of(const sim_node *node)
{
    BL_ASSERTF(node->disk != NULL, "a disk fault on %s, which has no disk", node->name);
    return node->disk;
}

/* A crash or kill9 about to stop `node`: what the family says it hits. */
static void count_stop(uint32_t index, sim_node *node)
{
    fault_effect *effect = &g_fault.effects[index];
    if (!node->process_up) {
        summary_add_node(index, node, "was already down");
        return;
    }
    fault_hit hit;
    memset(&hit, 0, sizeof hit);
    if (g_fault.hooks.describe_stop != NULL)
        g_fault.hooks.describe_stop(g_fault.hooks.ctx, node, &hit);
    BL_ASSERT(hit.counter_count <= FAULT_COUNTERS_MAX);
    for (uint32_t c = 0; c < hit.counter_count; c++)
        effect_count(effect, hit.counters[c].name, hit.counters[c].value);
    summary_add_node(index, node, hit.phrase[0] != '\0' ? hit.phrase : "was stopped");
    window_open(&g_fault.states[index], node->id, 0);
}

static void apply_process_fault(const scn_fault *fault, uint32_t index, sim_node **targets,
                                uint32_t n)
{
    const char *kind = scn_fault_kind_name(fault->kind);
    effect_set_nodes(&g_fault.effects[index], targets, n);
    for (uint32_t i = 0; i < n; i++) {
        sim_node *node = targets[i];
        record_fault(kind, node->name, HIST_PHASE_START);
        if (fault->kind == SCN_FAULT_RESTART) {
            bool down = !node->process_up;
            sim_start_node(node);
            effect_count(&g_fault.effects[index], "restarted", down ? 1 : 0);
            summary_add_node(index, node, down ? "was restarted" : "was already running");
            if (down) process_windows_close(node);
            continue;
        }
        count_stop(index, node);
        if (node->process_up) g_fault.stopped_by[node->id] = fault->kind;
        sim_stop_node(node, fault->kind == SCN_FAULT_CRASH);
        if (fault->restart_after_us >= 0)
            sim_schedule(g_fault.nemesis, sim_now_us() + fault->restart_after_us, NEMESIS_RESTART,
                         node->id, index, NULL);
    }
}

static void apply_link_fault(const scn_fault *fault, uint32_t index)
{
    static uint32_t side_a[FAULT_TARGETS_MAX], side_b[FAULT_TARGETS_MAX];
    static sim_node *nodes[FAULT_TARGETS_MAX];
    static uint8_t listed[FAULT_TARGETS_MAX];
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
    fault_state *state = &g_fault.states[index];
    BL_ASSERT(!state->has_rule && g_fault.rule_fault[rule] == 0);
    g_fault.rule_fault[rule] = index + 1;
    state->has_rule = true;
    state->rule = (fault_window){.id = rule, .open = true};
    state->history_target = describe_sides(side_a, count_a, side_b, count_b, fault->one_way);
    state->side_counts[0] = count_a;
    state->side_counts[1] = count_b;
    memset(listed, 0, sim_node_count());
    uint32_t n = 0;
    for (uint32_t i = 0; i < count_a + count_b; i++) {
        uint32_t id = i < count_a ? side_a[i] : side_b[i - count_a];
        if (!listed[id]) nodes[n++] = sim_node_by_id(id);
        listed[id] = 1;
    }
    effect_set_nodes(&g_fault.effects[index], nodes, n);
    record_fault(scn_fault_kind_name(fault->kind), state->history_target, HIST_PHASE_START);
    if (fault->for_us > 0)
        sim_schedule(g_fault.nemesis, sim_now_us() + fault->for_us, NEMESIS_UNDO, index, rule,
                     NULL);
}

static void apply_node_fault(const scn_fault *fault, uint32_t index, sim_node **targets, uint32_t n)
{
    int64_t until_us =
        fault->for_us > 0 ? sim_now_us() + fault->for_us : g_fault.scenario->duration_us;
    effect_set_nodes(&g_fault.effects[index], targets, n);
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
        window_open(&g_fault.states[index], targets[i]->id, node_counter(fault->kind, targets[i]));
        /* A stall always ends, at until_us (the end of the load phase when open-ended):
         * its stop record says so. */
        if (fault->kind == SCN_FAULT_STALL || fault->for_us > 0)
            sim_schedule(g_fault.nemesis, until_us, NEMESIS_UNDO, index, targets[i]->id, NULL);
    }
}

/* heal: every network rule goes, whichever fault added it. */
static void apply_heal(uint32_t index)
{
    uint64_t healed = 0;
    for (uint32_t rule = 0; rule < NET_RULES_MAX; rule++) {
        if (g_fault.rule_fault[rule] == 0) continue;
        rule_close(g_fault.rule_fault[rule] - 1, false);
        healed++;
    }
    net_remove_all_rules();
    effect_count(&g_fault.effects[index], "faults_healed", healed);
    record_fault("heal", "all", HIST_PHASE_STOP);
}

static void apply_fault(uint32_t index)
{
    const scn_fault *fault = &g_fault.scenario->faults[index];
    static sim_node *targets[FAULT_TARGETS_MAX];
    switch (fault->kind) {
    case SCN_FAULT_CRASH:
    case SCN_FAULT_KILL9:
    case SCN_FAULT_RESTART:
        apply_process_fault(fault, index, targets,
                            with_same_process(targets, resolve(&fault->target, targets)));
        return;
    case SCN_FAULT_PARTITION:
    case SCN_FAULT_LOSSY_LINK:
    case SCN_FAULT_SLOW_LINK: apply_link_fault(fault, index); return;
    case SCN_FAULT_HEAL: apply_heal(index); return;
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
    fault_state *state = &g_fault.states[index];
    const char *kind = scn_fault_kind_name(fault->kind);
    if (is_network_fault(fault->kind)) {
        /* Its own rule only: after a heal the rule id may belong to a later fault. */
        if (g_fault.rule_fault[token] == index + 1) rule_close(index, false);
        record_fault(kind, state->history_target, HIST_PHASE_STOP);
        return;
    }
    BL_ASSERT(fault->kind == SCN_FAULT_SLOW_DISK || fault->kind == SCN_FAULT_DISK_FULL ||
              fault->kind == SCN_FAULT_STALL);
    sim_node *node = sim_node_by_id((uint32_t)token);
    fault_window *window = window_of(state, node->id);
    BL_ASSERT(window != NULL);
    node_window_close(index, window, false);
    if (fault->kind == SCN_FAULT_SLOW_DISK) disk_of(node)->slow_factor = 1;
    if (fault->kind == SCN_FAULT_DISK_FULL) disk_of(node)->full = false;
    record_fault(kind, node->name, HIST_PHASE_STOP);
}

/* The drain phase: heal everything, restart everything. */
static void start_drain(void)
{
    record_fault("drain", "all", HIST_PHASE_START);
    windows_close_all();
    net_remove_all_rules();
    for (uint32_t id = 0; id < sim_node_count(); id++) {
        sim_node *node = sim_node_by_id(id);
        if (node->disk != NULL) {
            node->disk->full = false;
            node->disk->slow_factor = 1;
        }
        if (!node->process_up && node != g_fault.nemesis) {
            /* A power loss (or kill -9) with no restart of its own ends here, and its
             * stop record says which it was. */
            scn_fault_kind kind = g_fault.stopped_by[node->id];
            BL_ASSERTF(kind == SCN_FAULT_CRASH || kind == SCN_FAULT_KILL9,
                       "%s is down, and no crash or kill9 stopped it", node->name);
            sim_start_node(node);
            record_fault(scn_fault_kind_name(kind), node->name, HIST_PHASE_STOP);
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
        process_windows_close(target);
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

/* ---- the run ---- */

/* The selectors of a fault as the scenario writes them. */
static char *target_text(const scn_fault *fault)
{
    const scn_scenario *scenario = g_fault.scenario;
    const scn_family_schema *family = g_fault.hooks.schema;
    char selector[2 * SCN_NAME_LEN + 32];
    fault_text text = {0};
    if (fault->kind == SCN_FAULT_HEAL) {
        text_add(&text, "all");
    } else if (is_network_fault(fault->kind)) {
        for (uint32_t side = 0; side < 2; side++) {
            const scn_node_set *set = side == 0 ? &fault->side_a : &fault->side_b;
            if (side == 1) text_add(&text, "%s", fault->one_way ? " -> " : " <-> ");
            for (uint32_t s = 0; s < set->count; s++)
                text_add(&text, "%s%s", s ? "," : "",
                         scn_selector_format(scenario, family, &set->selectors[s], selector,
                                             sizeof selector));
        }
    } else {
        text_add(&text, "%s",
                 scn_selector_format(scenario, family, &fault->target, selector, sizeof selector));
    }
    return text_take(&text);
}

static void effects_free(void)
{
    for (uint32_t f = 0; f < g_fault.count; f++) {
        free(g_fault.effects[f].target);
        free(g_fault.effects[f].nodes);
        free(g_fault.states[f].windows);
        free(g_fault.states[f].history_target);
    }
    free(g_fault.effects);
    free(g_fault.states);
}

void fault_injector_create(const scn_scenario *scenario, const fault_hooks *hooks)
{
    effects_free();
    memset(&g_fault, 0, sizeof g_fault);
    g_fault.scenario = scenario;
    g_fault.hooks = *hooks;
    g_fault.count = scenario->fault_count;
    BL_ASSERT(g_fault.count <= SCN_FAULTS_MAX);
    g_fault.effects = calloc(g_fault.count + 1, sizeof *g_fault.effects);
    g_fault.states = calloc(g_fault.count + 1, sizeof *g_fault.states);
    BL_ASSERT(g_fault.effects != NULL && g_fault.states != NULL);
    for (uint32_t f = 0; f < g_fault.count; f++) {
        const scn_fault *fault = &scenario->faults[f];
        fault_effect *effect = &g_fault.effects[f];
        effect->kind = fault->kind;
        effect->at_us = fault->at_us;
        effect->until_us = FAULT_OPEN;
        effect->target = target_text(fault);
        effect_init_counters(effect);
    }
    g_fault.nemesis = sim_add_node("nemesis", SIM_ROLE_NEMESIS, &nemesis_ops, NULL);
    g_fault.nemesis->hist_name = hist_names_intern(hist_names_table(), "nemesis");
}

fault_effects fault_injector_finish(void)
{
    if (!g_fault.finished) {
        windows_close_all(); /* a run without a drain phase: no drain closed them */
        for (uint32_t f = 0; f < g_fault.count; f++) effect_finish(f);
        g_fault.finished = true;
    }
    return (fault_effects){.list = g_fault.effects, .count = g_fault.count};
}
