/* kafka_schema.c — the Kafka family's part of the scenario format: its cluster, topic,
 * producer and consumer keys with their ranges and defaults (Kafka 3.x/4.0 client and
 * broker defaults: ProducerConfig, ConsumerConfig, LogConfig), the relations Kafka's
 * config validation enforces, and the leader(TOPIC/PARTITION), follower(TOPIC/PARTITION)
 * and coordinator(GROUP) selectors. The loader
 * composes these into the family-neutral sections (engine/schema.h) when
 * cluster.preset is `kafka`. */
#include "kafka_schema.h"

#include <stdio.h>
#include <string.h>

#include "../../engine/units.h"
#include "kafka_options.h"

static const char *const kafka_acks_names[] = {"0", "1", "all", NULL};
static const char *const kafka_commit_names[] = {"auto", "after_processing", "before_processing",
                                                 NULL};
static const char *const kafka_reset_names[] = {"latest", "earliest", NULL};
static const char *const kafka_partitioner_names[] = {"sticky", "round_robin", NULL};
static const char *const kafka_assignor_names[] = {"range", "cooperative-sticky", NULL};

_Static_assert(sizeof(kafka_acks) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(kafka_commit) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(kafka_offset_reset) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(kafka_assignor) == sizeof(int), "enums are written as int");

/* ---- cluster ---- */

static const scn_field kafka_flush_fields[] = {
    {SCN_AT("messages", SCN_T_U64, kafka_cluster_options, flush_messages), .def = "0"},
    SCN_DURATION_FIELD("interval", kafka_cluster_options, flush_interval_us, 0, "0s"),
};
static const scn_schema kafka_flush_schema = SCN_SCHEMA(kafka_flush_fields, NULL);

/* controller: dedicated | broker(N): where the KRaft controller runs (KRaftConfigs
 * process.roles). N is checked against the broker count with the mapping. */
static bool kafka_controller_placement_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    int32_t *broker = target;
    const char *text = scn_scalar_get(ctx, node, "dedicated or broker(N)");
    if (text == NULL) return false;
    if (strcmp(text, "dedicated") == 0) {
        *broker = -1;
        return true;
    }
    /* broker(N), N a format integer (scn_u32_text: no sign, no leading zero) */
    size_t length = strlen(text);
    char digits[16];
    uint32_t index = 0;
    if (strncmp(text, "broker(", 7) == 0 && length > 8 && length - 8 < sizeof digits &&
        text[length - 1] == ')') {
        memcpy(digits, text + 7, length - 8);
        digits[length - 8] = '\0';
        if (scn_u32_text(digits, &index) && index < SCN_BROKERS_MAX) {
            *broker = (int32_t)index;
            return true;
        }
    }
    return scn_fail(ctx, node, "%s: bad controller '%s', expected dedicated or broker(N)",
                    ctx->where, text);
}

/* Replication defaults: ReplicationConfigs (Kafka 4.0). */
static const scn_field kafka_cluster_fields[] = {
    {.key = "flush", .type = SCN_T_MAP, .offset = 0, .schema = &kafka_flush_schema},
    SCN_DURATION_FIELD("replica_lag_time_max", kafka_cluster_options, replica_lag_time_max_us, 1,
                       "30s"),
    SCN_DURATION_FIELD("replica_fetch_wait_max", kafka_cluster_options, replica_fetch_wait_max_us,
                       0, "500ms"),
    {SCN_AT("replica_fetch_min_bytes", SCN_T_SIZE, kafka_cluster_options, replica_fetch_min_bytes),
     .min = 1, .max = 1024LL * 1024 * 1024, .def = "1B"},
    {SCN_AT("replica_fetch_max_bytes", SCN_T_SIZE, kafka_cluster_options, replica_fetch_max_bytes),
     .min = 1, .max = 1024LL * 1024 * 1024, .def = "1MiB"},
    SCN_DURATION_FIELD("replica_fetch_backoff", kafka_cluster_options, replica_fetch_backoff_us, 1,
                       "1s"),
    SCN_DURATION_FIELD("replica_socket_timeout", kafka_cluster_options, replica_socket_timeout_us,
                       1, "30s"),
    SCN_DURATION_FIELD("broker_heartbeat_interval", kafka_cluster_options,
                       broker_heartbeat_interval_us, 1, "2s"),
    SCN_DURATION_FIELD("broker_session_timeout", kafka_cluster_options, broker_session_timeout_us,
                       1, "9s"),
    {SCN_AT("auto_leader_rebalance", SCN_T_BOOL, kafka_cluster_options, auto_leader_rebalance),
     .def = "true"},
    SCN_DURATION_FIELD("leader_imbalance_check_interval", kafka_cluster_options,
                       leader_imbalance_check_interval_us, 1, "300s"),
    {SCN_AT("leader_epochs", SCN_T_BOOL, kafka_cluster_options, leader_epochs), .def = "true"},
    {SCN_AT("controller", SCN_T_CUSTOM, kafka_cluster_options, controller_broker),
     .parse = kafka_controller_placement_parse, .desc = "dedicated or broker(N)",
     .def = "dedicated"},
    {SCN_AT("eligible_leader_replicas", SCN_T_BOOL, kafka_cluster_options,
            eligible_leader_replicas),
     .def = "false"},
    {SCN_AT("offsets_topic_partitions", SCN_T_U32, kafka_cluster_options, offsets_topic_partitions),
     .min = 1, .max = KAFKA_OFFSETS_TOPIC_PARTITIONS_MAX, .def = "50"},
    {SCN_AT("offsets_topic_replication_factor", SCN_T_U32, kafka_cluster_options,
            offsets_topic_replication_factor),
     .min = 1, .max = SCN_BROKERS_MAX, .def = "3"},
    SCN_DURATION_FIELD("group_initial_rebalance_delay", kafka_cluster_options,
                       group_initial_rebalance_delay_us, 0, "3s"),
};
/* broker.heartbeat.interval.ms < broker.session.timeout.ms (KafkaConfig refuses the
 * config otherwise). */
static bool kafka_cluster_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    static const char *const keys[] = {"broker_heartbeat_interval", "broker_session_timeout", NULL};
    const kafka_cluster_options *cluster = base;
    uint32_t brokers = ctx->out->cluster.broker_count;
    yaml_node_t *controller = scn_seen_value(seen, "controller");
    if (cluster->controller_broker >= (int32_t)brokers && controller != NULL) {
        return scn_fail(ctx, controller,
                        "%s.controller: broker(%d) is not one of the %u broker%s, expected "
                        "dedicated or broker(0..%u)",
                        ctx->where, (int)cluster->controller_broker, (unsigned)brokers,
                        brokers == 1 ? "" : "s", (unsigned)brokers - 1);
    }
    /* GroupCoordinatorConfig: the topic is not created while the brokers are fewer; left
     * at its default, brokerlab caps it (a cluster smaller than 3 still gets its groups) */
    yaml_node_t *offsets_rf = scn_seen_value(seen, "offsets_topic_replication_factor");
    if (offsets_rf != NULL && cluster->offsets_topic_replication_factor > brokers) {
        return scn_fail(ctx, offsets_rf,
                        "%s.offsets_topic_replication_factor: %u is above the %u broker%s "
                        "(Kafka does not create __consumer_offsets then), expected 1..%u",
                        ctx->where, (unsigned)cluster->offsets_topic_replication_factor,
                        (unsigned)brokers, brokers == 1 ? "" : "s", (unsigned)brokers);
    }
    if (cluster->broker_heartbeat_interval_us < cluster->broker_session_timeout_us) return true;
    char interval[32], session[32];
    return scn_fail(
        ctx, scn_seen_first(seen, keys),
        "%s: broker_heartbeat_interval %s is not below broker_session_timeout %s, expected "
        "broker_heartbeat_interval < broker_session_timeout",
        ctx->where,
        units_format_duration(cluster->broker_heartbeat_interval_us, interval, sizeof interval),
        units_format_duration(cluster->broker_session_timeout_us, session, sizeof session));
}

static const scn_schema kafka_cluster_schema =
    SCN_SCHEMA(kafka_cluster_fields, kafka_cluster_check);

/* ---- topics ---- */

/* replication_factor <= brokers: the controller refuses more (StripedReplicaPlacer
 * answers INVALID_REPLICATION_FACTOR). min.insync.replicas above the replication factor
 * Kafka accepts and caps (Partition.effectiveMinIsr), so it is accepted here too. */
static bool kafka_topic_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const kafka_topic_options *topic = base;
    uint32_t brokers = ctx->out->cluster.broker_count;
    yaml_node_t *node = scn_seen_value(seen, "replication_factor");
    if (topic->replication_factor > brokers && node != NULL) {
        return scn_fail(ctx, node,
                        "%s.replication_factor: %u exceeds the %u broker%s, expected 1..%u "
                        "(StripedReplicaPlacer: INVALID_REPLICATION_FACTOR)",
                        ctx->where, (unsigned)topic->replication_factor, (unsigned)brokers,
                        brokers == 1 ? "" : "s", (unsigned)brokers);
    }
    return true;
}

static const scn_field kafka_topic_fields[] = {
    {SCN_AT("replication_factor", SCN_T_U32, kafka_topic_options, replication_factor), .min = 1,
     .max = SCN_BROKERS_MAX, .def = "1"},
    {SCN_AT("min_insync_replicas", SCN_T_U32, kafka_topic_options, min_insync_replicas), .min = 1,
     .max = SCN_BROKERS_MAX, .def = "1"},
    {SCN_AT("retention", SCN_T_DURATION, kafka_topic_options, retention_us), .min = 0,
     .max = 3650 * SCN_DAY_US, .def = "7d"},
    {SCN_AT("retention_bytes", SCN_T_SIZE, kafka_topic_options, retention_bytes), .min = 0,
     .max = SCN_SIZE_MAX_BYTES, .def = "0B"},
    {SCN_AT("unclean_leader_election", SCN_T_BOOL, kafka_topic_options, unclean_leader_election),
     .def = "false"},
    /* TopicConfig's minimums: segment.bytes 14 B (a record batch header, LegacyRecord
     * .RECORD_OVERHEAD_V0), segment.ms 1 ms */
    {SCN_AT("segment_bytes", SCN_T_SIZE, kafka_topic_options, segment_bytes), .min = 14,
     .max = 2147483647, .def = "1GiB"},
    {SCN_AT("segment_ms", SCN_T_DURATION, kafka_topic_options, segment_ms_us), .min = 1000,
     .max = 3650 * SCN_DAY_US, .def = "7d"},
};
static const scn_schema kafka_topic_schema = SCN_SCHEMA(kafka_topic_fields, kafka_topic_check);

/* ---- producers ---- */

/* `max` or an integer. */
static bool kafka_retries_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    const char *text = scn_scalar_get(ctx, node, "an integer or max");
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (strcmp(text, "max") == 0) {
        *(uint32_t *)target = KAFKA_RETRIES_MAX;
        return true;
    }
    if (!scn_int_text(text, &negative, &value, &overflow)) {
        return scn_fail(ctx, node, "%s: bad retries '%s', expected a decimal integer or max",
                        ctx->where, text);
    }
    if (overflow || (negative && value != 0) || value > UINT32_MAX) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected 0..%u or max", ctx->where,
                        text, (unsigned)UINT32_MAX);
    }
    *(uint32_t *)target = (uint32_t)value;
    return true;
}

/* delivery_timeout >= linger + request_timeout (ProducerConfig refuses the config
 * otherwise). */
/* ProducerConfig.postProcessAndValidateIdempotenceConfigs: idempotence needs acks=all,
 * retries above 0 and at most 5 requests in flight. Asked for explicitly with one of
 * them, it is an error (ConfigException); left at its default, it is turned off, and a
 * warning says so. */
static bool kafka_idempotence_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    kafka_producer_options *producer = base;
    if (!producer->idempotence) return true;
    char reason[64] = "";
    const char *key = NULL;
    if (producer->retries == 0) { /* Kafka's order: retries, acks, in flight */
        key = "retries";
        snprintf(reason, sizeof reason, "retries is 0");
    } else if (producer->acks != KAFKA_ACKS_ALL) {
        key = "acks";
        snprintf(reason, sizeof reason, "acks is %s", kafka_acks_names[producer->acks]);
    } else if (producer->max_in_flight > 5) {
        key = "max_in_flight";
        snprintf(reason, sizeof reason, "max_in_flight is %u", (unsigned)producer->max_in_flight);
    }
    if (key == NULL) return true;
    yaml_node_t *asked = scn_seen_value(seen, "idempotence");
    if (asked != NULL) {
        return scn_fail(ctx, asked,
                        "%s.idempotence: Kafka refuses enable.idempotence when %s, expected acks: "
                        "all, retries above 0 and max_in_flight at most 5, or idempotence: false",
                        ctx->where, reason);
    }
    producer->idempotence = false;
    scn_warn_parse(ctx, scn_seen_value(seen, key),
                   "%s: idempotence is off because %s (Kafka turns enable.idempotence off "
                   "when it is not set and conflicts), so retries may duplicate and reorder; "
                   "write idempotence: false to say so",
                   ctx->where, reason);
    return true;
}

static bool kafka_producer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    static const char *const keys[] = {"delivery_timeout", "request_timeout", "linger", NULL};
    char delivery[32];
    char sum[32];
    const kafka_producer_options *producer = base;
    int64_t minimum_us = producer->linger_us + producer->request_timeout_us;
    if (producer->delivery_timeout_us < minimum_us) {
        return scn_fail(
            ctx, scn_seen_first(seen, keys),
            "%s: delivery_timeout %s is below "
            "linger + request_timeout (%s), expected delivery_timeout >= linger + "
            "request_timeout",
            ctx->where,
            units_format_duration(producer->delivery_timeout_us, delivery, sizeof delivery),
            units_format_duration(minimum_us, sum, sizeof sum));
    }
    return kafka_idempotence_check(ctx, seen, base);
}

static const scn_field kafka_producer_fields[] = {
    {SCN_AT("acks", SCN_T_ENUM, kafka_producer_options, acks), .names = kafka_acks_names,
     .def = "all"},
    {SCN_AT("retries", SCN_T_CUSTOM, kafka_producer_options, retries), .parse = kafka_retries_parse,
     .desc = "an integer or max", .def = "max"},
    SCN_DURATION_FIELD("retry_backoff", kafka_producer_options, retry_backoff_us, 0, "100ms"),
    SCN_DURATION_FIELD("retry_backoff_max", kafka_producer_options, retry_backoff_max_us, 0, "1s"),
    SCN_DURATION_FIELD("request_timeout", kafka_producer_options, request_timeout_us, 1, "30s"),
    SCN_DURATION_FIELD("delivery_timeout", kafka_producer_options, delivery_timeout_us, 1, "120s"),
    {SCN_AT("max_in_flight", SCN_T_U32, kafka_producer_options, max_in_flight), .min = 1,
     .max = 100, .def = "5"},
    SCN_DURATION_FIELD("linger", kafka_producer_options, linger_us, 0, "5ms"),
    {SCN_AT("batch_size", SCN_T_SIZE, kafka_producer_options, batch_size_bytes), .min = 1,
     .max = 1024LL * 1024 * 1024, .def = "16KiB"},
    {SCN_AT("buffer_memory", SCN_T_SIZE, kafka_producer_options, buffer_memory_bytes), .min = 1,
     .max = 1024LL * 1024 * 1024 * 1024, .def = "32MiB"},
    {SCN_AT("partitioner", SCN_T_ENUM, kafka_producer_options, partitioner),
     .names = kafka_partitioner_names, .def = "sticky"},
    {SCN_AT("idempotence", SCN_T_BOOL, kafka_producer_options, idempotence), .def = "true"},
};
static const scn_schema kafka_producer_schema =
    SCN_SCHEMA(kafka_producer_fields, kafka_producer_check);

/* ---- consumers ---- */

/* heartbeat_interval < session_timeout (ConsumerConfig); commit_interval only with
 * commit: auto. */
static bool kafka_consumer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    static const char *const keys[] = {"heartbeat_interval", "session_timeout", NULL};
    char heartbeat[32];
    char session[32];
    const kafka_consumer_options *consumer = base;
    if (consumer->heartbeat_interval_us >= consumer->session_timeout_us) {
        return scn_fail(
            ctx, scn_seen_first(seen, keys),
            "%s: heartbeat_interval %s is not "
            "below session_timeout %s, expected heartbeat_interval < "
            "session_timeout",
            ctx->where,
            units_format_duration(consumer->heartbeat_interval_us, heartbeat, sizeof heartbeat),
            units_format_duration(consumer->session_timeout_us, session, sizeof session));
    }
    yaml_node_t *interval = scn_seen_value(seen, "commit_interval");
    if (interval != NULL && consumer->commit != KAFKA_COMMIT_AUTO) {
        return scn_fail(ctx, interval,
                        "%s.commit_interval: only applies to commit: auto, "
                        "expected no commit_interval with commit: %s",
                        ctx->where,
                        (const char *)scn_seen_value(seen, "commit")->data.scalar.value);
    }
    return true;
}

static const scn_field kafka_consumer_fields[] = {
    {SCN_AT("commit", SCN_T_ENUM, kafka_consumer_options, commit), .names = kafka_commit_names,
     .def = "auto"},
    SCN_DURATION_FIELD("commit_interval", kafka_consumer_options, commit_interval_us, 1, "5s"),
    SCN_DURATION_FIELD("session_timeout", kafka_consumer_options, session_timeout_us, 1, "45s"),
    SCN_DURATION_FIELD("heartbeat_interval", kafka_consumer_options, heartbeat_interval_us, 1,
                       "3s"),
    {SCN_AT("max_poll_records", SCN_T_U32, kafka_consumer_options, max_poll_records), .min = 1,
     .max = 100000, .def = "500"},
    SCN_DURATION_FIELD("max_poll_interval", kafka_consumer_options, max_poll_interval_us, 1000,
                       "300s"),
    SCN_DURATION_FIELD("fetch_max_wait", kafka_consumer_options, fetch_max_wait_us, 0, "500ms"),
    {SCN_AT("fetch_min_bytes", SCN_T_SIZE, kafka_consumer_options, fetch_min_bytes), .min = 1,
     .max = 1024LL * 1024 * 1024, .def = "1B"},
    {SCN_AT("fetch_max_bytes", SCN_T_SIZE, kafka_consumer_options, fetch_max_bytes), .min = 1,
     .max = 1024LL * 1024 * 1024, .def = "1MiB"},
    {SCN_AT("auto_offset_reset", SCN_T_ENUM, kafka_consumer_options, offset_reset),
     .names = kafka_reset_names, .def = "latest"},
    {SCN_AT("assignor", SCN_T_ENUM, kafka_consumer_options, assignor),
     .names = kafka_assignor_names, .def = "range"},
};
static const scn_schema kafka_consumer_schema =
    SCN_SCHEMA(kafka_consumer_fields, kafka_consumer_check);

/* ---- selectors ---- */

/* TOPIC/PARTITION, the argument of leader(...) and follower(...): family_args = topic
 * index, partition. */
static bool kafka_partition_arg_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                      scn_selector *selector, const char *syntax)
{
    char names[SCN_LIST_TEXT_LEN];
    char *slash = strchr(arg, '/');
    if (slash == NULL) {
        return scn_fail(ctx, node, "%s: bad selector '%s', expected %s", ctx->where, text, syntax);
    }
    *slash = '\0';
    const char *partition = slash + 1;
    uint32_t *topic_index = &selector->family_args[KAFKA_PARTITION_ARG_TOPIC];
    uint32_t *partition_index = &selector->family_args[KAFKA_PARTITION_ARG_PARTITION];
    if (!scn_topic_find(ctx->out, arg, topic_index)) {
        return scn_fail(ctx, node, "%s: unknown topic '%s' in '%s', expected one of: %s",
                        ctx->where, arg, text, scn_topic_names(ctx->out, names, sizeof names));
    }
    if (!scn_u32_text(partition, partition_index)) {
        return scn_fail(ctx, node, "%s: bad partition '%s' in '%s', expected a partition number",
                        ctx->where, partition, text);
    }
    const scn_topic *topic = &ctx->out->topics[*topic_index];
    if (*partition_index >= topic->partition_count) {
        return scn_fail(ctx, node,
                        "%s: partition %s in '%s' is out of range, expected 0..%u "
                        "(topic '%s' has %u partitions)",
                        ctx->where, partition, text, (unsigned)topic->partition_count - 1,
                        topic->name, (unsigned)topic->partition_count);
    }
    return true;
}

static bool kafka_leader_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                               scn_selector *selector)
{
    return kafka_partition_arg_parse(ctx, node, text, arg, selector, "leader(TOPIC/PARTITION)");
}

static bool kafka_follower_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                 scn_selector *selector)
{
    return kafka_partition_arg_parse(ctx, node, text, arg, selector, "follower(TOPIC/PARTITION)");
}

/* coordinator(GROUP): family_args = the group's consumer entry. */
static bool kafka_coordinator_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                    scn_selector *selector)
{
    const scn_scenario *scenario = ctx->out;
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        if (strcmp(scenario->consumers[g].group, arg) == 0) {
            selector->family_args[KAFKA_GROUP_ARG_GROUP] = g;
            return true;
        }
    }
    char names[SCN_LIST_TEXT_LEN] = "";
    size_t used = 0;
    for (uint32_t g = 0; g < scenario->consumer_count && used < sizeof names; g++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", g ? ", " : "",
                                 scenario->consumers[g].group);
    if (scenario->consumer_count == 0) snprintf(names, sizeof names, "(no consumer group)");
    return scn_fail(ctx, node, "%s: unknown consumer group '%s' in '%s', expected one of: %s",
                    ctx->where, arg, text, names);
}

/* leader(TOPIC/P) or follower(TOPIC/P) back from family_args. */
static void kafka_partition_format(const scn_scenario *scenario, const scn_selector *selector,
                                   char *buf, size_t buf_len)
{
    uint32_t topic = selector->family_args[KAFKA_PARTITION_ARG_TOPIC];
    BL_ASSERT(topic < scenario->topic_count);
    snprintf(buf, buf_len, "%s(%s/%u)",
             selector->family_kind == KAFKA_SELECTOR_LEADER ? "leader" : "follower",
             scenario->topics[topic].name,
             (unsigned)selector->family_args[KAFKA_PARTITION_ARG_PARTITION]);
}

static void kafka_coordinator_format(const scn_scenario *scenario, const scn_selector *selector,
                                     char *buf, size_t buf_len)
{
    uint32_t group = selector->family_args[KAFKA_GROUP_ARG_GROUP];
    BL_ASSERT(group < scenario->consumer_count);
    snprintf(buf, buf_len, "coordinator(%s)", scenario->consumers[group].group);
}

/* controller: no argument. */
static bool kafka_controller_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                   scn_selector *selector)
{
    (void)ctx;
    (void)node;
    (void)text;
    (void)arg;
    (void)selector;
    return true;
}

static void kafka_controller_format(const scn_scenario *scenario, const scn_selector *selector,
                                    char *buf, size_t buf_len)
{
    (void)scenario;
    (void)selector;
    snprintf(buf, buf_len, "controller");
}

static const scn_family_selector kafka_selectors[] = {
    {.name = "leader",
     .syntax = "leader(TOPIC/PARTITION)",
     .kind = KAFKA_SELECTOR_LEADER,
     .names_brokers = true,
     .parse = kafka_leader_parse,
     .format = kafka_partition_format},
    {.name = "follower",
     .syntax = "follower(TOPIC/PARTITION)",
     .kind = KAFKA_SELECTOR_FOLLOWER,
     .names_brokers = true,
     .parse = kafka_follower_parse,
     .format = kafka_partition_format},
    {.name = "coordinator",
     .syntax = "coordinator(GROUP)",
     .kind = KAFKA_SELECTOR_COORDINATOR,
     .names_brokers = true,
     .parse = kafka_coordinator_parse,
     .format = kafka_coordinator_format},
    {.name = "controller",
     .syntax = "controller",
     .kind = KAFKA_SELECTOR_CONTROLLER,
     .no_arg = true,
     .parse = kafka_controller_parse,
     .format = kafka_controller_format},
};

static const char *const kafka_presets[] = {"kafka", NULL};

const scn_family_schema kafka_schema = {
    .name = "kafka",
    .presets = kafka_presets,
    .sections =
        {
            [SCN_SECTION_CLUSTER] = &kafka_cluster_schema,
            [SCN_SECTION_TOPIC] = &kafka_topic_schema,
            [SCN_SECTION_PRODUCER] = &kafka_producer_schema,
            [SCN_SECTION_CONSUMER] = &kafka_consumer_schema,
        },
    .selectors = kafka_selectors,
    .selector_count = sizeof kafka_selectors / sizeof kafka_selectors[0],
};
