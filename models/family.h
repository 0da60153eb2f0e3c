/* family.h — the broker-family interface: what a family of broker models (Kafka-style
 * logs today; RabbitMQ-style queues, RocketMQ's commit log and ActiveMQ's master/slave
 * to come) gives the run that assembles it.
 *
 * A family owns everything about its brokers and clients: it builds their nodes from
 * the scenario, resolves its own selectors for the fault injector (leader(t/p) for
 * Kafka, later master(q)), applies the client faults only it can (a consumer's stall),
 * says what a fault on one of its nodes hits, reports its effective durability
 * settings, and frees what it built. The engine knows a family only through the `fault_hooks` the
 * run hands it (engine/fault.h); world.c knows it only through this table, as Redis's
 * event loop knows its backends only through aeApi*. `cluster.preset` chooses it. */
#ifndef BL_FAMILY_H
#define BL_FAMILY_H

#include <stdint.h>

#include "../engine/fault.h"
#include "../engine/scenario.h"
#include "../engine/schema.h"
#include "../engine/sim.h"

typedef struct broker_family {
    const char *name;                /* "kafka" */
    const scn_family_schema *schema; /* its keys, defaults, selectors and presets */
    /* The nodes the family will add for `scenario`: brokers and clients. */
    uint32_t (*node_count)(const scn_scenario *scenario);
    /* Adds the family's nodes to the initialised simulation (brokers first, then
     * producers entry by entry, then consumers: the fault injector's generic selectors
     * visit nodes in that order) and returns the family's run state. `scenario` outlives
     * the run. */
    void *(*build)(const scn_scenario *scenario);
    /* fault_hooks.resolve: a family selector (scn_selector kinds the engine does not
     * resolve) to the nodes it names now. */
    uint32_t (*resolve)(void *run, const scn_selector *selector, sim_node **out, uint32_t max);
    /* fault_hooks.stall: the consumer's processing stalls until until_us. */
    void (*stall)(void *run, sim_node *consumer, int64_t until_us);
    /* fault_hooks.stall_held: records the consumer's stalls have held back so far. */
    uint64_t (*stall_held)(void *run, const sim_node *consumer);
    /* fault_hooks.describe_stop: what stopping one of its nodes hits now (a broker's
     * partitions and groups, a producer's unacknowledged messages, a consumer's
     * partitions and unfinished records), as counters and a phrase. */
    void (*describe_stop)(void *run, const sim_node *node, fault_hit *hit);
    /* The durability settings of `scenario` as the family resolves them, every default
     * applied (scn_setting): writes at most max rows to out, returns how many. */
    uint32_t (*durability)(const scn_scenario *scenario, scn_setting *out, uint32_t max);
    /* The bytes its brokers would hold for `messages_per_topic[t]` messages sent to
     * each topic over the run (the memory estimate, cli/memory_estimate.c): what they
     * retain, per replica. */
    double (*retained_bytes)(const scn_scenario *scenario, const double *messages_per_topic);
    /* Message ids handed out so far (the run's statistics). */
    uint64_t (*messages)(const void *run);
    /* Frees the run state, after sim_shutdown dropped every pending event. */
    void (*free)(void *run);
} broker_family;

/* The family whose schema lists `preset` (a loaded scenario's cluster.preset). */
const broker_family *family_for(const char *preset);
/* Every family's schema, for the scenario loader. */
const scn_families *family_schemas(void);

#endif
