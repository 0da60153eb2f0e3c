/* fault.h — the fault injector ("nemesis"): plays a scenario's fault timeline, for every
 * broker family alike, and measures what each fault hit.
 *
 * The injector is a node of its own: each timeline entry is an event at its `at`;
 * targets are resolved when the fault fires, so `leader(orders/0)` names the leader of
 * that moment. Process faults (crash, kill9, restart), network faults (partition, lossy
 * and slow links, heal) and disk faults (slow_disk, disk_full on the node's disk) are
 * the engine's own; what only a broker family knows comes in through `fault_hooks`:
 * its selectors (leader(t/p), later master(q)), its client faults (a consumer's stall)
 * and what stopping one of its nodes hits. At `duration` the drain phase begins: every
 * network rule is removed, every stopped process restarted, disks repaired (DESIGN.md
 * rule 3), so what is not consumed by the end was really lost. Every action is a
 * `fault` history record.
 *
 * Effects (results.json `faults[i].effect`): each entry's counters are measured by
 * mechanism, never guessed: what a stopped node held when it was stopped (the family
 * says: partitions it led, a producer's unacknowledged messages...), the packets a
 * network rule dropped or delayed while it held (net.c counts them per rule), the
 * fsyncs a slow disk slowed and the writes a full disk refused (disk.c), the records a
 * stall held back (the family). A fault whose counters are all 0 did not bite. Its
 * window ends when its nodes are restarted, its rule removed (`for`, heal) or its disk
 * repaired; one still open when the drain begins has no end (FAULT_OPEN). */
#ifndef BL_FAULT_H
#define BL_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "history.h"
#include "scenario.h"
#include "schema.h"
#include "sim.h"

#define FAULT_COUNTERS_MAX 4    /* counters of one fault's effect */
#define FAULT_PHRASE_LEN   160  /* what one node's stop hit, after its name */
#define FAULT_SUMMARY_LEN  320  /* one human sentence per fault */
#define FAULT_OPEN         (-1) /* until_us of a window still open when the drain began */

typedef struct fault_counter {
    const char *name; /* a string literal: "partitions_led", "packets_dropped" */
    uint64_t value;
} fault_counter;

/* What stopping one node hits, as its family measures it (fault_hooks.describe_stop). */
typedef struct fault_hit {
    fault_counter counters[FAULT_COUNTERS_MAX];
    uint32_t counter_count;
    char phrase[FAULT_PHRASE_LEN]; /* after the node's name: "led 2 partitions (orders/0,
                                      orders/3) and coordinated no group" */
} fault_hit;

/* What one timeline entry did: results.json faults[i]. */
typedef struct fault_effect {
    scn_fault_kind kind;
    int64_t at_us;
    int64_t until_us;             /* when its window ended (the last restart, the rule removed, the
                         disk repaired; `at` for a fault that acts at once); FAULT_OPEN */
    char *target;                 /* the selector(s) as the scenario writes them: leader(orders/0),
                         broker(0) <-> brokers,clients */
    char (*nodes)[HIST_NAME_LEN]; /* the nodes it resolved to when it fired, in history
                                     naming, each once (a network fault: side a, then b) */
    uint32_t node_count;
    fault_counter counters[FAULT_COUNTERS_MAX]; /* by name, in the order first counted */
    uint32_t counter_count;
    bool bit;                        /* some counter is above 0 */
    char summary[FAULT_SUMMARY_LEN]; /* what it hit, or why it did not bite */
} fault_effect;

/* The effects of a run, one per timeline entry in timeline order (results.json). */
typedef struct fault_effects {
    const fault_effect *list;
    uint32_t count;
} fault_effects;

/* What a broker family adds to the injector. `ctx` is the family's run state. */
typedef struct fault_hooks {
    void *ctx;
    /* The family's schema: formats its selectors in faults[i].target. */
    const scn_family_schema *schema;
    /* Resolves a selector the engine does not know (a family selector such as
     * leader(t/p)) to at most `max` nodes written to out; returns how many. */
    uint32_t (*resolve)(void *ctx, const scn_selector *selector, sim_node **out, uint32_t max);
    /* A consumer's processing stalls until until_us (its database is down): stalls end
     * by themselves, so there is no undo. */
    void (*stall)(void *ctx, sim_node *consumer, int64_t until_us);
    /* Records whose processing a stall of `consumer` has held back so far (a count that
     * only grows): the injector takes its growth over a stall's window. */
    uint64_t (*stall_held)(void *ctx, const sim_node *consumer);
    /* What stopping `node` (crash, kill9; its process is up) hits now, just before it is
     * stopped: the family's counters (summed over the fault's targets by name) and a
     * phrase for the summary. */
    void (*describe_stop)(void *ctx, const sim_node *node, fault_hit *hit);
} fault_hooks;

/* Adds the injector's node (call after the family built its nodes: a generic selector
 * is resolved over the nodes by role, entry and instance) and schedules the timeline of
 * `scenario`, which must outlive the run. Frees the effects of a previous run. */
void fault_injector_create(const scn_scenario *scenario, const fault_hooks *hooks);

/* After the run, before the network is shut down: closes what the drain did not (a run
 * without a drain phase) and returns every entry's effect, valid until the next
 * fault_injector_create. */
fault_effects fault_injector_finish(void);

#endif
