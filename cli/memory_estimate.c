/* memory_estimate.c — a run's peak memory, estimated before it runs (see
 * memory_estimate.h).
 *
 * A run's memory is the process itself, its simulated processes, and what it keeps per
 * message: the brokers' retained records (the family says how many bytes, per replica)
 * and, on the client side, the checker's window entry of a message not yet settled and
 * the history's staging of its records. The model is the code's own sizes, with the
 * doubling slack of arrays that grow; the constants below were measured (peak RSS of
 * `run --history none`): 38 MiB for a 10-message run, 62 MiB more for 2,048 processes.
 * On the scenarios here the estimate is within a factor of 2 of the measured peak
 * (the benchmark's reference run: estimated 473 MiB, measured 294 MiB; c31 at one
 * broker: estimated 195 MiB, measured 189 MiB): enough to refuse a run that needs ten
 * times the machine, not a precise forecast. */
#include "memory_estimate.h"

#include <stdio.h>
#include <unistd.h>

#include "../engine/workload.h"
#include "../models/family.h"

#define MEMORY_BASE_BYTES    (40.0 * 1024 * 1024) /* the process, SimGrid, output buffers */
#define MEMORY_NODE_BYTES    (32.0 * 1024)        /* one simulated process: actor, tables */
/* The checker's window entry (check_msg, 16 bytes, in a ring that doubles) and the
 * history's staging of the message's records (16 bytes). */
#define MEMORY_MESSAGE_BYTES 48.0

memory_estimate memory_estimate_of(const scn_scenario *scenario)
{
    memory_estimate estimate = {0};
    double per_topic[SCN_TOPICS_MAX] = {0};
    double largest = -1;
    for (uint32_t i = 0; i < scenario->producer_count; i++) {
        const scn_producer *producer = &scenario->producers[i];
        double messages =
            producer->count * wl_expected_count(&producer->rate, scenario->duration_us);
        per_topic[producer->topic_index] += messages;
        estimate.messages += messages;
        if (messages > largest) {
            largest = messages;
            estimate.largest_producer = i;
        }
    }
    const broker_family *family = family_for(scenario->cluster.preset);
    double nodes = 1.0 + family->node_count(scenario);
    estimate.bytes = MEMORY_BASE_BYTES + nodes * MEMORY_NODE_BYTES +
                     estimate.messages * MEMORY_MESSAGE_BYTES +
                     family->retained_bytes(scenario, per_topic);
    return estimate;
}

uint64_t memory_machine_bytes(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_bytes = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page_bytes <= 0) return UINT64_MAX; /* unknown: no bound */
    return (uint64_t)pages * (uint64_t)page_bytes;
}

static void format_bytes(char *out, size_t size, double bytes)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    uint32_t u = 0;
    while (bytes >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024;
        u++;
    }
    snprintf(out, size, "%.1f %s", bytes, units[u]);
}

/* A count as 2.1e9 (or 5300 below ten thousand). */
static void format_count(char *out, size_t size, double count)
{
    if (count < 1e4) {
        snprintf(out, size, "%.0f", count);
        return;
    }
    int exponent = 0;
    while (count >= 10) {
        count /= 10;
        exponent++;
    }
    snprintf(out, size, "%.1fe%d", count, exponent);
}

int memory_check(const scn_scenario *scenario, const char *path, uint64_t max_bytes,
                 const char *bound_source)
{
    memory_estimate estimate = memory_estimate_of(scenario);
    if (estimate.bytes <= (double)max_bytes) return 0;
    char need[32], bound[32], messages[32];
    format_count(messages, sizeof messages, estimate.messages);
    format_bytes(need, sizeof need, estimate.bytes);
    format_bytes(bound, sizeof bound, (double)max_bytes);
    const scn_mark *at = scenario->producer_count > 0
                             ? &scenario->producers[estimate.largest_producer].mark
                             : &scenario->cluster.mark;
    fprintf(stderr,
            "%s:%u:%u: estimated peak memory %s for %s messages, above --max-memory %s "
            "(%s); shorten the run or lower its rates, or raise --max-memory\n",
            path, (unsigned)at->line, (unsigned)at->column, need, messages, bound, bound_source);
    return -1;
}
