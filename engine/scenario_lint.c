/* scenario_lint.c — warnings about a scenario that loads but cannot measure what it
 * asks, or whose values are cut short by the end of the load phase (see
 * scenario_lint.h). */
#include "scenario_lint.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "bl_assert.h"
#include "units.h"

void scn_warn_at(scn_lint_sink *sink, scn_mark mark, const char *fmt, ...)
{
    char text[SCN_WARNING_LEN];
    int prefix = snprintf(text, sizeof text, "%s:%u:%u: warning: ", sink->scenario->path,
                          (unsigned)mark.line, (unsigned)mark.column);
    BL_ASSERT(prefix > 0 && (size_t)prefix < sizeof text);
    va_list args;
    va_start(args, fmt);
    vsnprintf(text + prefix, sizeof text - (size_t)prefix, fmt, args);
    va_end(args);
    sink->warn(sink->user, text);
    sink->count++;
}

/* A group reads a topic nobody writes to: every anomaly metric of it has no data. */
static void lint_idle_groups(scn_lint_sink *l)
{
    const scn_scenario *s = l->scenario;
    for (uint32_t g = 0; g < s->consumer_count; g++) {
        const scn_consumer *consumer = &s->consumers[g];
        bool written = s->topics[consumer->topic_index].fed_by_brokers;
        for (uint32_t p = 0; p < s->producer_count && !written; p++)
            written = s->producers[p].topic_index == consumer->topic_index;
        if (!written)
            scn_warn_at(l, consumer->mark,
                        "consumers[%u]: no producer writes to topic '%s' of group '%s', so its "
                        "anomalies and latencies have no data",
                        (unsigned)g, s->topics[consumer->topic_index].name, consumer->group);
    }
}

/* Whether a selector can name a node: a whole role with no node of that role cannot. */
static bool selector_names_nothing(const scn_scenario *s, const scn_selector *selector)
{
    switch (selector->kind) {
    case SCN_SEL_ALL_PRODUCERS: return s->producer_count == 0;
    case SCN_SEL_ALL_CONSUMERS: return s->consumer_count == 0;
    case SCN_SEL_ALL_CLIENTS: return s->producer_count == 0 && s->consumer_count == 0;
    default: return false;
    }
}

static void lint_fault_targets(scn_lint_sink *l, const scn_fault *fault)
{
    const scn_scenario *s = l->scenario;
    const char *kind = scn_fault_kind_name(fault->kind);
    bool nothing = false;
    if (fault->kind == SCN_FAULT_PARTITION || fault->kind == SCN_FAULT_LOSSY_LINK ||
        fault->kind == SCN_FAULT_SLOW_LINK) {
        for (uint32_t side = 0; side < 2 && !nothing; side++) {
            const scn_node_set *set = side == 0 ? &fault->side_a : &fault->side_b;
            bool all_empty = set->count > 0;
            for (uint32_t i = 0; i < set->count; i++)
                all_empty &= selector_names_nothing(s, &set->selectors[i]);
            nothing = all_empty;
        }
    } else if (fault->kind != SCN_FAULT_HEAL) {
        nothing = selector_names_nothing(s, &fault->target);
    }
    if (nothing)
        scn_warn_at(l, fault->mark,
                    "this %s fault targets no node: the scenario has none of that role", kind);
}

/* Windows that run past the load phase are cut short there: the drain heals every fault
 * and restarts every process at `duration`. */
static void lint_fault_windows(scn_lint_sink *l, const scn_fault *fault)
{
    const scn_scenario *s = l->scenario;
    char end[32], duration[32];
    units_format_duration(s->duration_us, duration, sizeof duration);
    if (fault->restart_after_us >= 0 && fault->at_us + fault->restart_after_us > s->duration_us)
        scn_warn_at(l, fault->mark,
                    "restart_after ends at %s, after the load phase (%s): the drain "
                    "restarts the process at %s instead",
                    units_format_duration(fault->at_us + fault->restart_after_us, end, sizeof end),
                    duration, duration);
    if (fault->for_us > 0 && fault->at_us + fault->for_us > s->duration_us)
        scn_warn_at(l, fault->mark,
                    "the %s lasts until %s, after the load phase (%s): the drain ends it "
                    "at %s",
                    scn_fault_kind_name(fault->kind),
                    units_format_duration(fault->at_us + fault->for_us, end, sizeof end), duration,
                    duration);
}

/* A spike or ramp of producers[p] (`what` = "spikes" or "ramps", item i) ending after
 * the load phase: producers stop at `duration`. */
static void lint_rate_window(scn_lint_sink *l, uint32_t p, const char *what, uint32_t i,
                             int64_t end_us)
{
    const scn_scenario *s = l->scenario;
    if (end_us <= s->duration_us) return;
    char end[32], duration[32];
    units_format_duration(s->duration_us, duration, sizeof duration);
    scn_warn_at(
        l, s->producers[p].mark,
        "producers[%u].rate.%s[%u]: runs until %s, after the load phase (%s): producers stop "
        "at %s",
        (unsigned)p, what, (unsigned)i, units_format_duration(end_us, end, sizeof end), duration,
        duration);
}

static void lint_spikes(scn_lint_sink *l)
{
    const scn_scenario *s = l->scenario;
    for (uint32_t p = 0; p < s->producer_count; p++) {
        const scn_rate *rate = &s->producers[p].rate;
        for (uint32_t i = 0; i < rate->spike_count; i++)
            lint_rate_window(l, p, "spikes", i, rate->spikes[i].at_us + rate->spikes[i].for_us);
        for (uint32_t i = 0; i < rate->ramp_count; i++)
            lint_rate_window(l, p, "ramps", i, rate->ramps[i].at_us + rate->ramps[i].for_us);
    }
}

uint32_t scn_lint(const scn_scenario *scenario, scn_warning_fn warn, void *user)
{
    BL_ASSERT(scenario != NULL && warn != NULL);
    scn_lint_sink l = {.scenario = scenario, .warn = warn, .user = user};
    for (uint32_t w = 0; w < scenario->parse_warning_count; w++)
        scn_warn_at(&l, scenario->parse_warnings[w].mark, "%s", scenario->parse_warnings[w].text);
    lint_idle_groups(&l);
    lint_spikes(&l);
    for (uint32_t f = 0; f < scenario->fault_count; f++) {
        lint_fault_targets(&l, &scenario->faults[f]);
        lint_fault_windows(&l, &scenario->faults[f]);
    }
    return l.count;
}
