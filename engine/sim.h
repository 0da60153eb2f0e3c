/* sim.h — the simulation substrate: one deterministic event loop over nodes.
 *
 * Every simulated process (broker, producer, consumer, the fault injector) is a node:
 * a state machine (`sim_node_ops`) with a SimGrid host for its place in the platform
 * and a min-heap of timed events (its own timers and the packets the network delivers
 * to it). One loop runs the node holding the earliest event; that activation hands
 * every event of the node due at that instant to the model's handler. A run therefore
 * costs one activation per distinct (node, time) with work, not one per message.
 *
 * Time is integer microseconds (`*_us`) everywhere; SimGrid's double seconds are
 * converted only where routes are read. Ties are broken by a global sequence number,
 * so the order of events is a pure function of the scenario and seed. */
#ifndef BL_SIM_H
#define BL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_NODES_MAX       2048
#define SIM_TIME_NEVER      INT64_MAX
/* The most events one node has pending: its model's timers (a re-armed timer leaves its
 * stale event behind until it comes due) and the packets on their way to it. Clients
 * keep few requests out (a producer at most max_in_flight <= 100 per broker connection,
 * a consumer a fetch per broker, a heartbeat and a commit), so a broker's share grows
 * with the clients, not the load; a producer's synchronous application requests each
 * hold a timer while their calls last. The scenarios here stay below 2,048 and the
 * benchmark's reference run below 16; 2^26 events (40 bytes each: 2.5 GiB) is 32,768
 * times the first: more is a runaway model, not a load. */
#define SIM_NODE_EVENTS_MAX (1u << 26)

/* Event kinds below SIM_EVENT_MODEL_BASE belong to the engine. */
enum {
    SIM_EVENT_PACKET = 0, /* data: the payload delivered by net.c */
    SIM_EVENT_NET_RESET,  /* the connection to node `arg` was reset (peer process gone) */
    SIM_EVENT_TIMER,      /* engine-internal: a sim_timer; the model sees its own kind */
    SIM_EVENT_MODEL_BASE = 16,
};

typedef struct sim_event {
    int64_t t_us;
    uint64_t seq; /* global tie-break, assigned by sim_schedule */
    uint32_t kind;
    uint32_t arg;
    uint64_t token; /* model-defined, e.g. a generation that makes stale timers ignorable */
    void *data;
} sim_event;

typedef struct sim_node sim_node;

/* What a model provides for its node. Handlers run inside the node's activation; they
 * may schedule events, send packets and write history, but never block. */
typedef struct sim_node_ops {
    /* One due event. Packets: the handler owns ev->data afterwards. */
    void (*on_event)(sim_node *node, const sim_event *ev);
    /* Called once after all due events of one wake-up were handled (flush coalesced
     * output here). May be NULL. */
    void (*on_wake_end)(sim_node *node);
    /* The process stops: kill9 (host up, page cache kept) or power loss (crash). The
     * engine has already dropped the node's pending events (packets are freed with
     * free_data). May be NULL. */
    void (*on_stop)(sim_node *node, bool power_loss);
    /* The process starts again after a stop. */
    void (*on_start)(sim_node *node);
    /* Frees an event's data the model will never see (a packet dropped by the network
     * or pending when the process stopped, or a timer's payload). */
    void (*free_data)(uint32_t kind, void *data);
} sim_node_ops;

typedef enum sim_role {
    SIM_ROLE_BROKER = 0,
    SIM_ROLE_PRODUCER,
    SIM_ROLE_CONSUMER,
    SIM_ROLE_NEMESIS,
    SIM_ROLE_CONTROLLER, /* a family's control plane (Kafka's KRaft controller): no
                            broker selector picks it */
} sim_role;

/* A node's pending events: a min-heap by (t_us, seq) in items[0 .. count), capacity
 * allocated (grown by BL_GROW), at most SIM_NODE_EVENTS_MAX. */
typedef struct sim_event_heap {
    sim_event *items;
    uint32_t count;
    uint32_t capacity;
} sim_event_heap;

struct sim_node {
    uint32_t id;   /* index in the world's node table */
    char name[96]; /* "broker/0", "producer/checkout/1", ... */
    sim_role role;
    uint32_t entry;     /* the scenario entry it was built from: broker index,
                                    producer entry, consumer group entry */
    uint32_t instance;  /* instance within the entry (clients), else 0 */
    struct disk *disk;  /* its host's disk, or NULL: disk faults act on it */
    uint16_t hist_name; /* interned history name */
    const sim_node_ops *ops;
    void *model;          /* the model's state */
    bool process_up;      /* the process runs */
    bool host_up;         /* the host has power */
    uint32_t incarnation; /* +1 at every start; packets to an old one are dropped */
    sim_event_heap events;
    uint32_t ready_index; /* place in the scheduler's heap; UINT32_MAX = none */
    void *sg_host;        /* sg_host_t: where the node sits in the platform */
    uint64_t wakes;       /* activations of this node */
    /* Another node run inside the same OS process, or NULL (KRaft's combined mode: a
     * controller in a broker's JVM, process.roles=broker,controller). A process or host
     * fault and a network fault on one hit both (fault.c); their messages to each other
     * stay in the process, past any network fault (net.c); on a platform file it sits
     * on the other's host. Set both ways with sim_set_same_process before sim_run. */
    struct sim_node *same_process;
};

/* The simulation: call in this order. */
typedef struct sim_config {
    uint32_t node_count;            /* number of nodes that will be added */
    int64_t latency_us;             /* one-way network latency between any two hosts */
    uint64_t bandwidth_bytes_per_s; /* per host NIC */
    int64_t end_us;                 /* the run stops at this simulated time */
    bool simgrid_flows;             /* network.model: simgrid (net_use_simgrid_flows):
                                        SimGrid's clock advances with the loop's */
    const char *platform_file;      /* network.platform, or NULL: the star from
                                        latency_us and bandwidth_bytes_per_s */
} sim_config;

#define SIM_ERROR_LEN 1024

/* Initialises SimGrid (quiet logging, exact latency); sim_run builds the platform: one
 * host per node, each on its own NIC link in a star. */
void sim_init(const sim_config *config);
sim_node *sim_add_node(const char *name, sim_role role, const sim_node_ops *ops, void *model);
sim_node *sim_node_by_id(uint32_t id);
/* Declares that a and b run in one process (sim_node.same_process), before sim_run. */
void sim_set_same_process(sim_node *a, sim_node *b);
uint32_t sim_node_count(void);
/* Builds the platform and runs until config.end_us; the on_start of every node is
 * called at time 0. Returns 0, or -1 with the reason in error if the platform file
 * cannot be used (nothing ran then). */
int sim_run(char error[SIM_ERROR_LEN]);
/* sim_run's return when sim_request_stop ended it early (the clock is where it stopped). */
#define SIM_STOPPED 1
/* Asks a running (or the next) sim_run to stop before its next activation. Async-signal
 * safe: sim_run's own SIGINT and SIGTERM handler calls it. */
void sim_request_stop(void);
/* Called every SIM_PROGRESS_EVERY activations with the simulated clock and the run's
 * end, for a progress display (it must not touch the simulation); NULL for none. Kept
 * across sim_init. */
#define SIM_PROGRESS_EVERY 4096u
typedef void (*sim_progress_hook)(int64_t now_us, int64_t end_us, void *ctx);
void sim_set_progress_hook(sim_progress_hook hook, void *ctx);
void sim_shutdown(void);

int64_t sim_now_us(void);
/* Schedules an event on `node` at t_us >= now. Returns the assigned sequence number. */
uint64_t sim_schedule(sim_node *node, int64_t t_us, uint32_t kind, uint32_t arg, uint64_t token,
                      void *data);

/* A re-armable one-shot timer owned by a model (a field of its state). At most one of
 * its firings is live: arming it earlier makes the pending event stale, and a stale or
 * cancelled event is dropped by the engine without waking the node. This is how a model
 * keeps one deadline per concern (the oldest in-flight request's timeout, the earliest
 * parked fetch) instead of one timer event per request, which would pile up in the heap
 * and wake the node for nothing. A timer is disarmed when its node's process stops. */
typedef struct sim_timer {
    int64_t at_us;        /* when it fires if armed */
    uint64_t generation;  /* events of an older generation are stale */
    uint32_t incarnation; /* of the node when armed: a restart disarms */
    bool armed;
} sim_timer;

/* Arms `timer` to fire `kind` (a model event kind; ev->arg = 0, data NULL) at at_us,
 * unless it is already armed to fire no later than that. */
void sim_timer_arm(sim_node *node, sim_timer *timer, int64_t at_us, uint32_t kind);
/* Arms it at exactly at_us (earlier or later than now armed). */
void sim_timer_set(sim_node *node, sim_timer *timer, int64_t at_us, uint32_t kind);
void sim_timer_cancel(sim_timer *timer);
bool sim_timer_armed(const sim_node *node, const sim_timer *timer);

/* Stops / starts a node's process (fault injector). */
void sim_stop_node(sim_node *node, bool power_loss);
void sim_start_node(sim_node *node);
/* The running node's process exits at the end of its event being handled, as a kill -9
 * would stop it (its later events of this instant are dropped, no on_wake_end): a
 * model's own fatal exit, such as a Kafka broker whose only log directory failed
 * (Exit.halt). A node in its process (sim_node.same_process) exits with it. Only a
 * restart fault or the drain starts it again. */
void sim_halt_current(void);

/* Route facts read from the SimGrid platform once, when sim_run builds it (O(1) here):
 * the built-in star has one route for every pair, a platform file one per pair. */
int64_t sim_route_latency_us(const sim_node *src, const sim_node *dst);
uint64_t sim_route_bandwidth_bytes_per_s(const sim_node *src, const sim_node *dst);

/* Node activations so far (the engine's event count: one per (node, instant) with work). */
uint64_t sim_total_wakes(void);
/* Called by the engine after each activation; lets the history writer flush (may be NULL). */
void sim_set_tick_hook(void (*hook)(int64_t now_us, void *ctx), void *ctx);

#endif
