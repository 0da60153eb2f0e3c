/* scenario.h — the validated, immutable description of one brokerlab run.
 *
 * scn_load() turns a YAML file into an `scn_scenario` or one error message of the form
 * `FILE:LINE:COL: what is wrong, what was expected` (exit code 2 at the CLI). Every key
 * is checked against a schema table (unknown keys, wrong types, out-of-range values,
 * unknown references are errors, never silently defaulted). Once loaded, the struct is
 * treated as const by every other module. Field comments give: YAML key, unit, range;
 * each default is written once, in the schema table that parses the key
 * (engine/scenario.c, or the family's schema file). Times are integer microseconds,
 * sizes integer bytes. "0 = off" where said.
 *
 * This is the family-neutral part: the workload (rates, keys, sizes, processing,
 * workers), the cluster's hosts (network, disk, OS), faults and expectations. What
 * only a broker family means (Kafka's acks, linger, session timeout, flush policy...)
 * is parsed by the family's schema (models/<family>/<family>_schema.c, handed to the
 * loader in scn_families) into the `family` options of the cluster, topics, producers
 * and consumers, which the family's models read through their own types.
 *
 * The format's reference for users is docs/scenario-format.md; a test checks its tables
 * against the schemas. */
#ifndef BL_SCENARIO_H
#define BL_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#define SCN_NAME_LEN       64   /* names of scenario, topics, producers, groups */
#define SCN_TEXT_LEN       1024 /* description */
#define SCN_PATH_LEN       512
#define SCN_FILE_MAX_BYTES (4u << 20) /* a scenario file: a few KiB in practice */
/* Sequences and mappings nested in one another: the format needs 5 (a partition fault's
 * groups in a fault in the list in the document), YAML allows any, and libyaml's
 * document costs grow with the square of the depth. */
#define SCN_DEPTH_MAX      64
#define SCN_ERROR_LEN      768
#define SCN_BROKERS_MAX    32
#define SCN_TOPICS_MAX     16
#define SCN_PARTITIONS_MAX 256 /* per topic */
#define SCN_PRODUCERS_MAX  16  /* producer entries; each may have `count` instances */
#define SCN_GROUPS_MAX     16  /* consumer entries (one consumer group each) */
#define SCN_INSTANCES_MAX  64  /* `count` of one producer or consumer entry */
#define SCN_SPIKES_MAX     32
#define SCN_RAMPS_MAX      32
#define SCN_CALLS_MAX      8 /* request.calls */
#define SCN_FAULTS_MAX     256
#define SCN_NODE_SET_MAX   64 /* selectors in one side of a partition */
#define SCN_EXPECT_MAX     64
#define SCN_EXPR_LEN       256
#define SCN_WORKERS_MAX    256

/* Position in the scenario file, 1-based, kept for errors found after parsing
 * (expectations, references resolved late). */
typedef struct scn_mark {
    uint32_t line;
    uint32_t column;
} scn_mark;

/* A broker family's options inside a family-neutral entry: the family's own struct,
 * stored in place (so a scenario stays one flat value) and read by copying it out
 * (memcpy) into the family's type, whose size is asserted against this one. */
#define SCN_FAMILY_OPTIONS_BYTES 256
typedef struct scn_family_options {
    _Alignas(8) unsigned char bytes[SCN_FAMILY_OPTIONS_BYTES];
} scn_family_options;

/* The broker families the loader knows (engine/schema.h defines scn_family_schema). */
typedef struct scn_family_schema scn_family_schema;
typedef struct scn_families {
    const scn_family_schema *const *list;
    uint32_t count;
} scn_families;

/* Distribution of a duration: `const(2ms)`, `exp(1ms)` (mean), `uniform(1ms, 3ms)`,
 * `normal(10ms, 2ms)` (mean, sd; truncated at 0), or a bare duration `2ms` = const. */
typedef enum scn_dist_kind {
    SCN_DIST_CONST = 0,
    SCN_DIST_EXP,
    SCN_DIST_UNIFORM,
    SCN_DIST_NORMAL,
} scn_dist_kind;

typedef struct scn_dist {
    scn_dist_kind kind;
    int64_t a_us; /* const: value; exp: mean; uniform: low; normal: mean */
    int64_t b_us; /* uniform: high (>= low); normal: standard deviation; else 0 */
} scn_dist;

/* Key distribution of a producer: `none` (no key: round-robin partitions),
 * `uniform(N)`, `sequential(N)` (0,1,..,N-1,0,..), `zipf(N, S)` (S > 0, e.g. 1.1). */
typedef enum scn_keys_kind {
    SCN_KEYS_NONE = 0,
    SCN_KEYS_UNIFORM,
    SCN_KEYS_SEQUENTIAL,
    SCN_KEYS_ZIPF,
} scn_keys_kind;

typedef struct scn_keys {
    scn_keys_kind kind;
    uint32_t count; /* N, 1..1000000 */
    double zipf_s;  /* S for zipf, > 0 */
} scn_keys;

typedef enum scn_network_model {
    SCN_NETWORK_ENGINE = 0, /* the engine's own: per-sender NIC FIFO, cheap (default) */
    SCN_NETWORK_SIMGRID,    /* SimGrid's flow-level model: links shared by concurrent flows */
} scn_network_model;

typedef struct scn_network {
    int64_t latency_us;             /* network.latency: one-way, default 500us, 0..10s */
    uint64_t bandwidth_bytes_per_s; /* network.bandwidth: per host NIC, default 1Gbps */
    scn_network_model model;        /* network.model: engine (default) | simgrid */
    char platform[SCN_PATH_LEN];    /* network.platform: a SimGrid platform file, its
                                          path resolved from the scenario's folder; "" =
                                          the star built from latency and bandwidth */
    scn_mark platform_mark;         /* where network.platform was given */
} scn_network;

typedef struct scn_disk {
    uint64_t write_bandwidth_bytes_per_s; /* disk.write_bandwidth: default 500MB/s, > 0 */
    int64_t fsync_latency_us;             /* disk.fsync_latency: default 2ms */
    uint64_t capacity_bytes;              /* disk.capacity: default 0 = unlimited */
} scn_disk;

/* Linux page cache writeback (K4): dirty data older than dirty_expire is written back
 * by the flusher, which wakes every writeback_interval. */
typedef struct scn_os {
    uint64_t page_cache_bytes;     /* cluster.page_cache: default 16GiB, > 0; dirty data
                                      beyond 10% of it is written back early */
    int64_t dirty_expire_us;       /* cluster.os.dirty_expire: default 30s, > 0 */
    int64_t writeback_interval_us; /* cluster.os.writeback_interval: default 5s, > 0 */
} scn_os;

typedef struct scn_cluster {
    char preset[SCN_NAME_LEN]; /* cluster.preset: required, a preset of a known family */
    uint32_t broker_count;     /* cluster.brokers: 1..SCN_BROKERS_MAX */
    scn_network network;
    scn_disk disk;
    scn_os os;
    scn_family_options family; /* the family's cluster keys (Kafka: flush) */
    scn_mark mark;
} scn_cluster;

typedef struct scn_topic {
    char name[SCN_NAME_LEN];   /* topics[].name: required, unique */
    uint32_t partition_count;  /* topics[].partitions: 1..SCN_PARTITIONS_MAX */
    scn_family_options family; /* the family's topic keys (Kafka: replication, retention) */
    bool fed_by_brokers;       /* the brokers publish into it themselves (set by the family's
                                  schema: RabbitMQ's dead-letter exchanges), so a group
                                  reading it gets messages without a producer */
    scn_mark mark;
} scn_topic;

typedef struct scn_spike {
    int64_t at_us;     /* spikes[].at */
    int64_t for_us;    /* spikes[].for, > 0 */
    double rate_per_s; /* spikes[].rate: the rate during [at, at+for) */
} scn_spike;

/* A ramp changes the base rate linearly from its value at `at` to `to` over `for`; the
 * base rate stays at `to` afterwards. Ramps must not overlap. */
typedef struct scn_ramp {
    int64_t at_us;
    int64_t for_us; /* > 0 */
    double to_per_s;
} scn_ramp;

typedef struct scn_rate {
    double base_per_s; /* rate.base (or `rate: 1000/s` shorthand): required */
    scn_spike spikes[SCN_SPIKES_MAX];
    uint32_t spike_count;
    scn_ramp ramps[SCN_RAMPS_MAX];
    uint32_t ramp_count;
} scn_rate;

typedef enum scn_arrival { SCN_ARRIVAL_CONSTANT = 0, SCN_ARRIVAL_POISSON } scn_arrival;

/* Optional application model in front of the producer (claim C01): each request does
 * `local` work, then either calls `calls` synchronously one after another, or publishes
 * one message and answers when the publish is acknowledged (`publish: true`). */
typedef struct scn_request {
    bool enabled;                  /* true iff a `request:` mapping is present */
    int64_t local_us;              /* request.local: default 0 */
    scn_dist calls[SCN_CALLS_MAX]; /* request.calls: list of durations/distributions */
    uint32_t call_count;
    bool publish; /* request.publish: default false */
} scn_request;

typedef struct scn_producer {
    char name[SCN_NAME_LEN];     /* producers[].name: required, unique */
    uint32_t topic_index;        /* producers[].topic: must name a topic */
    uint32_t count;              /* producers[].count: instances, 1..SCN_INSTANCES_MAX */
    scn_rate rate;               /* producers[].rate: per instance */
    scn_arrival arrival;         /* producers[].arrival: constant | poisson */
    scn_keys keys;               /* producers[].keys */
    uint64_t message_size_bytes; /* producers[].message_size: 1..10MiB */
    scn_request request;         /* producers[].request: optional */
    scn_family_options family;   /* the family's client configuration (Kafka: acks,
                                       linger, batch size, retries, timeouts...) */
    scn_mark mark;
} scn_producer;

typedef enum scn_worker_routing {
    SCN_ROUTING_SHARED = 0, /* any free worker takes the next message */
    SCN_ROUTING_KEY_HASH,   /* hash(key) mod workers: one FIFO per worker (C27 fix) */
} scn_worker_routing;

typedef struct scn_consumer {
    char group[SCN_NAME_LEN];   /* consumers[].group: required, unique */
    uint32_t topic_index;       /* consumers[].topic: must name a topic */
    uint32_t count;             /* consumers[].count: 1..SCN_INSTANCES_MAX */
    scn_dist processing;        /* consumers[].processing: per message */
    uint32_t buffer_messages;   /* consumers[].buffer: internal in-memory queue between the
                                       poll thread and the workers, in messages; 0 = none:
                                       the poll batch is processed before the next poll */
    uint32_t workers;           /* consumers[].workers: 1..SCN_WORKERS_MAX */
    scn_worker_routing routing; /* consumers[].worker_routing: shared | key_hash */
    bool dedup;                 /* consumers[].dedup: idempotent consumer */
    scn_family_options family;  /* the family's client configuration (Kafka: commit mode,
                                       session timeout, heartbeat, fetch sizes, offset reset) */
    scn_mark mark;
} scn_consumer;

typedef enum scn_fault_kind {
    SCN_FAULT_CRASH = 0,  /* power loss of the target's host: page cache lost */
    SCN_FAULT_KILL9,      /* the target's process killed, host stays up, page cache kept */
    SCN_FAULT_RESTART,    /* start the target's process again (no-op if running) */
    SCN_FAULT_PARTITION,  /* cut links between two node sets (both ways unless one_way) */
    SCN_FAULT_HEAL,       /* remove every partition, lossy and slow link */
    SCN_FAULT_LOSSY_LINK, /* drop packets between two node sets with a probability */
    SCN_FAULT_SLOW_LINK,  /* add latency between two node sets */
    SCN_FAULT_SLOW_DISK,  /* multiply fsync latency and divide disk bandwidth by factor */
    SCN_FAULT_DISK_FULL,  /* the target's disk refuses writes */
    SCN_FAULT_STALL,      /* a consumer's processing stalls (its database is down) */
} scn_fault_kind;

/* A node selector: `broker(2)`, `brokers` (all), `producer(checkout/0)`,
 * `producer(checkout)` (all instances), `producers`, `consumer(billing/1)`,
 * `consumer(billing)`, `consumers`, `clients`; and a family's own, such as Kafka's
 * `leader(orders/0)`, resolved by the family when the fault fires. */
typedef enum scn_selector_kind {
    SCN_SEL_BROKER = 0,
    SCN_SEL_ALL_BROKERS,
    SCN_SEL_FAMILY,   /* a family selector: family_kind and family_args */
    SCN_SEL_PRODUCER, /* one instance, or all of the entry if all_instances */
    SCN_SEL_ALL_PRODUCERS,
    SCN_SEL_CONSUMER, /* one instance, or all of the group if all_instances */
    SCN_SEL_ALL_CONSUMERS,
    SCN_SEL_ALL_CLIENTS,
} scn_selector_kind;

typedef struct scn_selector {
    scn_selector_kind kind;
    uint32_t index;    /* broker index; producer entry index; consumer entry index */
    uint32_t instance; /* instance within the entry, when !all_instances */
    bool all_instances;
    uint32_t family_kind;    /* SCN_SEL_FAMILY: which of the family's selectors */
    uint32_t family_args[2]; /* SCN_SEL_FAMILY: its arguments (leader: topic, partition) */
    scn_mark mark;
} scn_selector;

typedef struct scn_node_set {
    scn_selector selectors[SCN_NODE_SET_MAX];
    uint32_t count;
} scn_node_set;

/* One timeline entry. YAML forms:
 *   { at: 45s, crash: leader(orders/0), restart_after: 20s }
 *   { at: 70s, kill9: consumer(billing/0), restart_after: 2s }
 *   { at: 90s, restart: broker(1) }
 *   { at: 10s, partition: [[broker(0)], [brokers, clients]], for: 20s }
 *   { at: 10s, partition: { from: [broker(0)], to: [clients] }, for: 5s }   # one-way
 *   { at: 40s, heal: all }
 *   { at: 10s, lossy_link: { between: [[broker(0)], [clients]], drop: 0.05 }, for: 10s }
 *   { at: 10s, slow_link: { between: [[broker(0)], [clients]], latency: 100ms }, for: 10s }
 *   { at: 10s, slow_disk: broker(0), factor: 10, for: 30s }
 *   { at: 10s, disk_full: broker(0), for: 30s }
 *   { at: 10s, stall: consumer(billing/0), for: 60s }
 * `for` = 0 (absent) means until healed/restarted or the end of the run (the drain
 * phase heals everything). `at` must be < duration. */
typedef struct scn_fault {
    scn_fault_kind kind;
    int64_t at_us;
    int64_t for_us;            /* for: 0 = open-ended */
    int64_t restart_after_us;  /* restart_after: crash/kill9 only, -1 = absent */
    scn_selector target;       /* crash, kill9, restart, slow_disk, disk_full, stall */
    scn_node_set side_a;       /* partition/lossy/slow: between[0] or from */
    scn_node_set side_b;       /* between[1] or to */
    bool one_way;              /* partition given as {from, to}: packets a->b dropped only */
    uint32_t drop_per_million; /* lossy_link.drop: a probability in (0, 1] to 6 decimal
                                  places, as parts per million, 1..1000000 */
    int64_t extra_latency_us;  /* slow_link.latency: > 0 */
    uint32_t factor;           /* slow_disk.factor: 2..1000 */
    scn_mark mark;
} scn_fault;

typedef enum scn_expect_kind { SCN_EXPECT_ALWAYS = 0, SCN_EXPECT_SOMETIMES } scn_expect_kind;

/* `- always: lost == 0` / `- sometimes: duplicated > 0`. The expression text is kept
 * verbatim and checked by reports/expect.c (with `mark` pointing at its first
 * character, so its errors are FILE:LINE:COL too). */
typedef struct scn_expect {
    scn_expect_kind kind;
    char expr[SCN_EXPR_LEN];
    scn_mark mark;      /* of the expression's first character */
    bool exact_columns; /* the expression is its source text on one line (no escape, no
                           folding): character N is at mark.column + N */
} scn_expect;

/* One effective setting of a scenario entry as its broker family resolves it, every
 * default applied: results.json's `durability` (acks, replication, flush policy, commit
 * mode...), which reports and comparisons show side by side. Keys are the scenario's
 * own (`acks`, `flush.interval`), values written as a scenario writes them (`all`,
 * `5ms`, `16KiB`). The family fills them (models/family.h, `durability`). */
typedef enum scn_setting_scope {
    SCN_SCOPE_PRODUCER = 0, /* a producer entry, by name */
    SCN_SCOPE_TOPIC,        /* a topic, by name */
    SCN_SCOPE_GROUP,        /* a consumer entry, by group */
    SCN_SCOPE_BROKERS,      /* the cluster's brokers (entry NULL) */
    SCN_SCOPE_COUNT,
} scn_setting_scope;

#define SCN_SETTING_VALUE_LEN 32
/* Rows of one scenario: a family's few keys per entry (Kafka: 7 per producer, 5 per
 * topic, 5 per group, 5 for the brokers) over at most 16 entries of each. */
#define SCN_SETTINGS_MAX      512

typedef struct scn_setting {
    scn_setting_scope scope;
    const char *entry; /* the entry's name in the scenario (outlives the row); NULL for
                          the brokers */
    const char *key;   /* a string literal: "acks", "flush.interval" */
    char value[SCN_SETTING_VALUE_LEN]; /* "all", "5ms"; "" with `none` */
    bool none; /* the key does not apply to this entry (commit_interval without commit:
                  auto): null in results.json */
} scn_setting;

typedef struct scn_settings {
    const scn_setting *rows; /* count rows, scope by scope, entries in file order */
    uint32_t count;
} scn_settings;

/* A warning a family's schema raised while parsing (scn_warn_parse): a setting the
 * family changed by its own rules, such as Kafka turning idempotence off when it is not
 * set and conflicts with acks. scn_lint prints them with the others. */
#define SCN_PARSE_WARNINGS_MAX 32 /* more is a programmer error (one per client entry) */
#define SCN_PARSE_WARNING_LEN  256
typedef struct scn_parse_warning {
    scn_mark mark;
    char text[SCN_PARSE_WARNING_LEN];
} scn_parse_warning;

typedef struct scn_scenario {
    char path[SCN_PATH_LEN];        /* the file it was loaded from, for messages */
    char name[SCN_NAME_LEN];        /* name: required, [a-z0-9._-]+ */
    char description[SCN_TEXT_LEN]; /* description: optional */
    uint64_t seed;                  /* seed: --seed overrides */
    int64_t duration_us;            /* duration: required, 1s..30d */
    int64_t drain_us;               /* drain: 0..30d */
    int64_t unavailable_after_us;   /* check.unavailable_after: a send slower than this
                                         (or failed) makes its second unavailable */
    scn_cluster cluster;
    scn_topic topics[SCN_TOPICS_MAX];
    uint32_t topic_count; /* >= 1 */
    scn_producer producers[SCN_PRODUCERS_MAX];
    uint32_t producer_count; /* >= 0 */
    scn_consumer consumers[SCN_GROUPS_MAX];
    uint32_t consumer_count;          /* >= 0 */
    scn_fault faults[SCN_FAULTS_MAX]; /* sorted by `at`, stable */
    uint32_t fault_count;
    scn_expect expects[SCN_EXPECT_MAX];
    uint32_t expect_count;
    scn_parse_warning parse_warnings[SCN_PARSE_WARNINGS_MAX];
    uint32_t parse_warning_count;
} scn_scenario;

/* Parses and validates `path` with the schemas of `families` (cluster.preset chooses
 * one). On success returns 0 and fills *out. On failure returns BL_EXIT_BAD_INPUT (2)
 * and writes exactly one message `FILE:LINE:COL: ...` (or `FILE: cannot open:
 * <strerror>` for an unreadable file) into error. Never aborts on bad input. `out` is
 * large: allocate it on the heap. */
int scn_load(const scn_families *families, const char *path, scn_scenario *out,
             char error[SCN_ERROR_LEN]);

/* The same, from a string (`path` is only used in messages). For tests. */
int scn_load_string(const scn_families *families, const char *path, const char *yaml_text,
                    scn_scenario *out, char error[SCN_ERROR_LEN]);

/* Name of the built-in default scenario and its YAML text (the README's first command
 * runs it when `brokerlab run` is given `--default`). */
extern const char scn_default_yaml[];

const char *scn_fault_kind_name(scn_fault_kind kind); /* "crash", "kill9", ... */

#endif
