/* rabbitmq_schema.c — the RabbitMQ family's part of the scenario format: its cluster,
 * exchange (topic), publisher (producer) and queue (consumer) keys with their ranges and
 * defaults (RabbitMQ's and its Java client's defaults, semantics R1-R7), the relations
 * RabbitMQ refuses, the presets naming the release lines it models, and the node(N),
 * queue(NAME) and master(NAME) selectors. The loader composes these into the
 * family-neutral sections (engine/schema.h) when cluster.preset is a rabbitmq preset. */
#include "rabbitmq_schema.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../../engine/units.h"
#include "rabbitmq_options.h"

static const char *const rabbitmq_exchange_names[] = {"fanout", "direct", "topic",
                                                      "x-consistent-hash", NULL};
static const char *const rabbitmq_mode_names[] = {"fire_and_forget", "confirms", "transactions",
                                                  NULL};
static const char *const rabbitmq_ack_names[] = {"manual", "auto", NULL};

_Static_assert(sizeof(rabbitmq_exchange_type) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(rabbitmq_publish_mode) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(rabbitmq_ack_mode) == sizeof(int), "enums are written as int");

static const char *const rabbitmq_presets[] = {"rabbitmq-3.10", "rabbitmq-3.12", "rabbitmq-3.13",
                                               "rabbitmq-4",    "rabbitmq",      NULL};

rabbitmq_version rabbitmq_version_of(const char *preset)
{
    static const rabbitmq_version versions[] = {RABBITMQ_3_10, RABBITMQ_3_12, RABBITMQ_3_13,
                                                RABBITMQ_4, RABBITMQ_4};
    for (size_t i = 0; rabbitmq_presets[i] != NULL; i++)
        if (strcmp(rabbitmq_presets[i], preset) == 0) return versions[i];
    BL_ASSERTF(false, "'%s' is no RabbitMQ preset", preset);
}

const char *rabbitmq_version_name(rabbitmq_version version)
{
    static const char *const names[] = {"3.10", "3.12", "3.13", "4"};
    BL_ASSERT(version < RABBITMQ_VERSION_COUNT);
    return names[version];
}

/* `N` or -1 (`any`: the instance's index): the node a client connects to first. */
static bool rabbitmq_connect_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    int32_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "a node number or each");
    if (text == NULL) return false;
    if (strcmp(text, "each") == 0) {
        *out = -1;
        return true;
    }
    uint32_t index = 0;
    uint32_t nodes = ctx->out->cluster.broker_count;
    if (!scn_u32_text(text, &index) || index >= nodes)
        return scn_fail(ctx, node,
                        "%s: bad node '%s', expected each or a node number 0..%u (the "
                        "cluster has %u node%s)",
                        ctx->where, text, (unsigned)nodes - 1, (unsigned)nodes,
                        nodes == 1 ? "" : "s");
    *out = (int32_t)index;
    return true;
}

/* `none`, `all` or a replica count N (ha-mode exactly). */
static bool rabbitmq_mirrors_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    uint32_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none, all or a replica count");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = 0;
        return true;
    }
    if (strcmp(text, "all") == 0) {
        *out = RABBITMQ_MIRRORS_ALL;
        return true;
    }
    uint32_t count = 0;
    if (!scn_u32_text(text, &count) || count < 1 || count > SCN_BROKERS_MAX)
        return scn_fail(ctx, node,
                        "%s: bad mirrors '%s', expected none, all or a replica count 1..%d "
                        "(ha-mode exactly)",
                        ctx->where, text, SCN_BROKERS_MAX);
    *out = count;
    return true;
}

static const char *const rabbitmq_promote_names[] = {"always", "when-synced", NULL};
/* autoheal is not modelled yet: asking for it is an error listing these */
static const char *const rabbitmq_partition_handling_names[] = {"ignore", "pause_minority", NULL};
static const char *const rabbitmq_queue_type_names[] = {"classic", "quorum", NULL};

/* `none`, `version` (the preset's default) or a count of returns. */
static bool rabbitmq_delivery_limit_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    uint32_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none or a count of returns");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = RABBITMQ_DELIVERY_LIMIT_NONE;
        return true;
    }
    if (strcmp(text, "version") == 0) {
        *out = rabbitmq_default_delivery_limit(rabbitmq_version_of(ctx->out->cluster.preset));
        return true;
    }
    uint32_t count = 0;
    if (!scn_u32_text(text, &count) || count > RABBITMQ_DELIVERY_LIMIT_MAX)
        return scn_fail(ctx, node,
                        "%s: bad delivery_limit '%s', expected none or a count of returns "
                        "0..%u",
                        ctx->where, text, RABBITMQ_DELIVERY_LIMIT_MAX);
    *out = count;
    return true;
}
static const char *const rabbitmq_overflow_names[] = {"drop-head", "reject-publish",
                                                      "reject-publish-dlx", NULL};

/* `none` or a duration of at least 1 ms (x-message-ttl is in ms; 0, "expire unless a
 * consumer takes it at once", is not modelled). */
static bool rabbitmq_ttl_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    int64_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none or a duration");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = -1;
        return true;
    }
    char why[UNITS_WHY_LEN];
    int64_t us = 0;
    if (!units_parse_duration_us(text, &us, why) || us < 1000 || us > SCN_DURATION_MAX_US)
        return scn_fail(ctx, node,
                        "%s: bad duration '%s', expected none or a duration of 1ms or more",
                        ctx->where, text);
    *out = us;
    return true;
}

/* `none` or a time in the run. */
static bool rabbitmq_delete_at_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    int64_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none or a time");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = -1;
        return true;
    }
    char why[UNITS_WHY_LEN];
    int64_t us = 0;
    if (!units_parse_duration_us(text, &us, why) || us < 1 || us > SCN_DURATION_MAX_US)
        return scn_fail(ctx, node, "%s: bad time '%s', expected none or a time after 0s",
                        ctx->where, text);
    *out = us;
    return true;
}

/* `none` or a count of ready messages (0 is allowed: RabbitMQ then keeps none). */
static bool rabbitmq_max_length_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    uint32_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none or a message count");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = UINT32_MAX;
        return true;
    }
    if (!scn_u32_text(text, out) || *out == UINT32_MAX)
        return scn_fail(ctx, node, "%s: bad count '%s', expected none or a message count 0..%u",
                        ctx->where, text, (unsigned)UINT32_MAX - 1);
    return true;
}

/* `none` or an exchange (a topic) of the scenario (topics come before consumers). */
static bool rabbitmq_dlx_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    int32_t *out = target;
    const char *text = scn_scalar_get(ctx, node, "none or an exchange (topic) name");
    if (text == NULL) return false;
    if (strcmp(text, "none") == 0) {
        *out = -1;
        return true;
    }
    uint32_t index = 0;
    if (!scn_topic_find(ctx->out, text, &index)) {
        char names[SCN_LIST_TEXT_LEN];
        return scn_fail(ctx, node,
                        "%s: unknown exchange '%s', expected none or "
                        "one of the topics: %s",
                        ctx->where, text, scn_topic_names(ctx->out, names, sizeof names));
    }
    *out = (int32_t)index;
    ctx->out->topics[index].fed_by_brokers = true; /* dead letters arrive there */
    return true;
}
_Static_assert(sizeof(rabbitmq_promote) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(rabbitmq_queue_type) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(rabbitmq_partition_handling) == sizeof(int), "enums are written as int");

/* ---- cluster ---- */

static const scn_field rabbitmq_cluster_fields[] = {
    SCN_DURATION_FIELD("heartbeat", rabbitmq_cluster_options, heartbeat_us, 1000000, "60s"),
    SCN_DURATION_FIELD("net_ticktime", rabbitmq_cluster_options, net_ticktime_us, 1000000, "60s"),
    SCN_DURATION_FIELD("stats_interval", rabbitmq_cluster_options, stats_interval_us, 1000000,
                       "15s"),
    {SCN_AT("disk_free_limit", SCN_T_SIZE, rabbitmq_cluster_options, disk_free_limit_bytes),
     .min = 1, .max = 1ULL << 50, .def = "50MB"},
    {SCN_AT("cluster_partition_handling", SCN_T_ENUM, rabbitmq_cluster_options, partition_handling),
     .names = rabbitmq_partition_handling_names, .def = "ignore"},
};
static const scn_schema rabbitmq_cluster_schema = SCN_SCHEMA(rabbitmq_cluster_fields, NULL);

/* ---- exchanges (topics) ---- */

/* An exchange has no partitions: a topic's `partitions` stays 1 (a RabbitMQ design
 * spreads a stream over queues instead: queue_per_consumer on x-consistent-hash). */
static bool rabbitmq_topic_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const scn_topic *topic = (const scn_topic *)((const char *)base - offsetof(scn_topic, family));
    if (topic->partition_count == 1) return true;
    return scn_fail(ctx, scn_seen_value(seen, "partitions"),
                    "%s.partitions: %u, but a RabbitMQ exchange has no partitions, expected 1 "
                    "(spread a stream over queues with type: x-consistent-hash and "
                    "queue_per_consumer: true)",
                    ctx->where, (unsigned)topic->partition_count);
}

static const scn_field rabbitmq_topic_fields[] = {
    {SCN_AT("type", SCN_T_ENUM, rabbitmq_topic_options, type), .names = rabbitmq_exchange_names,
     .def = "fanout"},
};
static const scn_schema rabbitmq_topic_schema =
    SCN_SCHEMA(rabbitmq_topic_fields, rabbitmq_topic_check);

/* ---- publishers (producers) ---- */

/* A key that applies to one mode only is an error under another (the channel is in
 * confirm mode or tx mode, never both: R4). */
static bool rabbitmq_producer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const rabbitmq_producer_options *producer = base;
    static const struct {
        const char *key;
        rabbitmq_publish_mode mode;
    } only[] = {{"max_unconfirmed", RABBITMQ_PUBLISH_CONFIRMS},
                {"confirm_timeout", RABBITMQ_PUBLISH_CONFIRMS},
                {"tx_size", RABBITMQ_PUBLISH_TRANSACTIONS}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        yaml_node_t *node = scn_seen_value(seen, only[i].key);
        if (node == NULL || producer->mode == only[i].mode) continue;
        return scn_fail(ctx, node, "%s.%s: only applies to mode: %s, expected no %s with mode: %s",
                        ctx->where, only[i].key, rabbitmq_mode_names[only[i].mode], only[i].key,
                        rabbitmq_mode_names[producer->mode]);
    }
    if (producer->mode == RABBITMQ_PUBLISH_CONFIRMS &&
        producer->delivery_timeout_us < producer->confirm_timeout_us) {
        char a[32], b[32];
        return scn_fail(ctx,
                        scn_seen_value(seen, "delivery_timeout") != NULL
                            ? scn_seen_value(seen, "delivery_timeout")
                            : scn_seen_value(seen, "confirm_timeout"),
                        "%s: delivery_timeout %s is below confirm_timeout %s, expected "
                        "delivery_timeout >= confirm_timeout",
                        ctx->where, units_format_duration(producer->delivery_timeout_us, a, 32),
                        units_format_duration(producer->confirm_timeout_us, b, 32));
    }
    return true;
}

static const scn_field rabbitmq_producer_fields[] = {
    {SCN_AT("mode", SCN_T_ENUM, rabbitmq_producer_options, mode), .names = rabbitmq_mode_names,
     .def = "confirms"},
    {SCN_AT("persistent", SCN_T_BOOL, rabbitmq_producer_options, persistent), .def = "true"},
    {SCN_AT("routing_key", SCN_T_TEXT, rabbitmq_producer_options, routing_key),
     .max = RABBITMQ_ROUTING_KEY_LEN - 1}, /* none: the empty routing key */
    {SCN_AT("max_unconfirmed", SCN_T_U32, rabbitmq_producer_options, max_unconfirmed), .min = 1,
     .max = RABBITMQ_UNCONFIRMED_MAX, .def = "1000"},
    {SCN_AT("tx_size", SCN_T_U32, rabbitmq_producer_options, tx_size), .min = 1,
     .max = RABBITMQ_TX_SIZE_MAX, .def = "1"},
    SCN_DURATION_FIELD("confirm_timeout", rabbitmq_producer_options, confirm_timeout_us, 1000,
                       "30s"),
    SCN_DURATION_FIELD("delivery_timeout", rabbitmq_producer_options, delivery_timeout_us, 1000,
                       "120s"),
    SCN_DURATION_FIELD("write_coalesce", rabbitmq_producer_options, write_coalesce_us, 0, "1ms"),
    SCN_DURATION_FIELD("recovery_interval", rabbitmq_producer_options, recovery_interval_us, 1000,
                       "5s"),
    {SCN_AT("connect_to", SCN_T_CUSTOM, rabbitmq_producer_options, connect_to),
     .parse = rabbitmq_connect_parse, .desc = "each or a node number", .def = "each"},
};
static const scn_schema rabbitmq_producer_schema =
    SCN_SCHEMA(rabbitmq_producer_fields, rabbitmq_producer_check);

/* ---- queues (consumers) ---- */

/* prefetch applies to manual acks only: with no_ack the broker does not count deliveries
 * (R6). */
static bool rabbitmq_consumer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const rabbitmq_consumer_options *consumer = base;
    yaml_node_t *mirrors = scn_seen_value(seen, "mirrors");
    const char *preset = ctx->out->cluster.preset;
    uint32_t nodes = ctx->out->cluster.broker_count;
    if (mirrors != NULL && consumer->mirrors != 0 && rabbitmq_version_of(preset) >= RABBITMQ_4)
        return scn_fail(ctx, mirrors,
                        "%s.mirrors: classic mirrored queues were removed in RabbitMQ 4.0 "
                        "(preset %s models 4.x), expected none, or a rabbitmq-3.10, "
                        "rabbitmq-3.12 or rabbitmq-3.13 preset",
                        ctx->where, preset);
    if (mirrors != NULL && consumer->mirrors != RABBITMQ_MIRRORS_ALL && consumer->mirrors > nodes)
        return scn_fail(ctx, mirrors, "%s.mirrors: %u replicas on %u node%s, expected all or 1..%u",
                        ctx->where, (unsigned)consumer->mirrors, (unsigned)nodes,
                        nodes == 1 ? "" : "s", (unsigned)nodes);
    yaml_node_t *promote = scn_seen_value(seen, "ha_promote_on_failure");
    if (promote != NULL && consumer->mirrors == 0)
        return scn_fail(ctx, promote,
                        "%s.ha_promote_on_failure: only applies to a mirrored queue, expected "
                        "no ha_promote_on_failure with mirrors: none",
                        ctx->where);
    yaml_node_t *overflow = scn_seen_value(seen, "overflow");
    if (overflow != NULL && consumer->max_length == UINT32_MAX)
        return scn_fail(ctx, overflow,
                        "%s.overflow: only applies to a queue with a max_length, expected a "
                        "max_length or no overflow",
                        ctx->where);
    yaml_node_t *routing = scn_seen_value(seen, "dead_letter_routing_key");
    if (routing != NULL && consumer->dead_letter_exchange < 0)
        return scn_fail(ctx, routing,
                        "%s.dead_letter_routing_key: only applies with a dead_letter_exchange, "
                        "expected a dead_letter_exchange or no dead_letter_routing_key",
                        ctx->where);
    rabbitmq_consumer_options *options = base;
    options->dead_letter_routing_key_set = routing != NULL;
    yaml_node_t *delete_at = scn_seen_value(seen, "delete_at");
    if (delete_at != NULL && consumer->delete_at_us >= 0 &&
        consumer->delete_at_us <= consumer->declare_at_us)
        return scn_fail(ctx, delete_at,
                        "%s.delete_at: the queue is deleted before it is declared "
                        "(declare_at), expected a time after declare_at",
                        ctx->where);
    if (delete_at != NULL && consumer->delete_at_us >= 0 && consumer->mirrors != 0)
        return scn_fail(ctx, delete_at,
                        "%s.delete_at: deleting a mirrored queue is not modelled, expected "
                        "mirrors: none or no delete_at",
                        ctx->where);
    yaml_node_t *type = scn_seen_value(seen, "queue_type");
    bool quorum = consumer->queue_type == RABBITMQ_QUEUE_QUORUM;
    static const char *const quorum_only[] = {"quorum_size", "delivery_limit"};
    for (uint32_t k = 0; k < 2 && !quorum; k++) {
        yaml_node_t *key = scn_seen_value(seen, quorum_only[k]);
        if (key != NULL)
            return scn_fail(ctx, key,
                            "%s.%s: only applies to a quorum queue, expected queue_type: "
                            "quorum or no %s",
                            ctx->where, quorum_only[k], quorum_only[k]);
    }
    if (quorum && !consumer->durable)
        return scn_fail(ctx, scn_seen_value(seen, "durable"),
                        "%s.durable: a quorum queue is always durable (x-queue-type quorum "
                        "refuses durable false), expected durable: true",
                        ctx->where);
    /* what this model has for classic queues only */
    static const char *const classic_only[] = {
        "mirrors",  "ha_promote_on_failure", "message_ttl", "max_length", "overflow", "declare_at",
        "delete_at"};
    for (uint32_t k = 0; k < 7 && quorum; k++) {
        yaml_node_t *key = scn_seen_value(seen, classic_only[k]);
        if (key != NULL)
            return scn_fail(ctx, key,
                            "%s.%s: not modelled for quorum queues (queue_type: quorum), "
                            "expected queue_type: classic or no %s",
                            ctx->where, classic_only[k], classic_only[k]);
    }
    (void)type;
    yaml_node_t *size = scn_seen_value(seen, "quorum_size");
    if (size != NULL && (consumer->quorum_size < 1 || consumer->quorum_size > nodes))
        return scn_fail(ctx, size, "%s.quorum_size: %u members on %u node%s, expected 1..%u",
                        ctx->where, (unsigned)consumer->quorum_size, (unsigned)nodes,
                        nodes == 1 ? "" : "s", (unsigned)nodes);
    if (size == NULL && quorum)
        options->quorum_size =
            nodes < RABBITMQ_QUORUM_SIZE_DEFAULT ? nodes : RABBITMQ_QUORUM_SIZE_DEFAULT;
    yaml_node_t *prefetch = scn_seen_value(seen, "prefetch");
    if (prefetch != NULL && consumer->ack == RABBITMQ_ACK_AUTO && consumer->prefetch > 0)
        return scn_fail(ctx, prefetch,
                        "%s.prefetch: RabbitMQ ignores prefetch with ack: auto (no_ack "
                        "deliveries are not counted), expected no prefetch or ack: manual",
                        ctx->where);
    return true;
}

static const scn_field rabbitmq_consumer_fields[] = {
    {SCN_AT("ack", SCN_T_ENUM, rabbitmq_consumer_options, ack), .names = rabbitmq_ack_names,
     .def = "manual"},
    {SCN_AT("prefetch", SCN_T_U32, rabbitmq_consumer_options, prefetch), .min = 0,
     .max = RABBITMQ_PREFETCH_MAX, .def = "0"},
    {SCN_AT("durable", SCN_T_BOOL, rabbitmq_consumer_options, durable), .def = "true"},
    {SCN_AT("binding", SCN_T_TEXT, rabbitmq_consumer_options, binding_key),
     .max = RABBITMQ_ROUTING_KEY_LEN - 1, .def = "#"},
    {SCN_AT("queue_per_consumer", SCN_T_BOOL, rabbitmq_consumer_options, queue_per_consumer),
     .def = "false"},
    SCN_DURATION_FIELD("ack_coalesce", rabbitmq_consumer_options, ack_coalesce_us, 0, "1ms"),
    SCN_DURATION_FIELD("recovery_interval", rabbitmq_consumer_options, recovery_interval_us, 1000,
                       "5s"),
    {SCN_AT("connect_to", SCN_T_CUSTOM, rabbitmq_consumer_options, connect_to),
     .parse = rabbitmq_connect_parse, .desc = "each or a node number", .def = "each"},
    {SCN_AT("queue_node", SCN_T_CUSTOM, rabbitmq_consumer_options, queue_node),
     .parse = rabbitmq_connect_parse, .desc = "each or a node number", .def = "each"},
    {SCN_AT("mirrors", SCN_T_CUSTOM, rabbitmq_consumer_options, mirrors),
     .parse = rabbitmq_mirrors_parse, .desc = "none, all or a replica count", .def = "none"},
    {SCN_AT("ha_promote_on_failure", SCN_T_ENUM, rabbitmq_consumer_options, promote),
     .names = rabbitmq_promote_names, .def = "always"},
    {SCN_AT("message_ttl", SCN_T_CUSTOM, rabbitmq_consumer_options, message_ttl_us),
     .parse = rabbitmq_ttl_parse, .desc = "none or a duration", .def = "none"},
    {SCN_AT("max_length", SCN_T_CUSTOM, rabbitmq_consumer_options, max_length),
     .parse = rabbitmq_max_length_parse, .desc = "none or a message count", .def = "none"},
    {SCN_AT("overflow", SCN_T_ENUM, rabbitmq_consumer_options, overflow),
     .names = rabbitmq_overflow_names, .def = "drop-head"},
    {SCN_AT("dead_letter_exchange", SCN_T_CUSTOM, rabbitmq_consumer_options, dead_letter_exchange),
     .parse = rabbitmq_dlx_parse, .desc = "none or an exchange (topic) name", .def = "none"},
    {SCN_AT("single_active_consumer", SCN_T_BOOL, rabbitmq_consumer_options,
            single_active_consumer),
     .def = "false"},
    SCN_DURATION_FIELD("declare_at", rabbitmq_consumer_options, declare_at_us, 0, "0s"),
    {SCN_AT("delete_at", SCN_T_CUSTOM, rabbitmq_consumer_options, delete_at_us),
     .parse = rabbitmq_delete_at_parse, .desc = "none or a time", .def = "none"},
    {SCN_AT("dead_letter_routing_key", SCN_T_TEXT, rabbitmq_consumer_options,
            dead_letter_routing_key),
     .max = RABBITMQ_ROUTING_KEY_LEN - 1},
    {SCN_AT("queue_type", SCN_T_ENUM, rabbitmq_consumer_options, queue_type),
     .names = rabbitmq_queue_type_names, .def = "classic"},
    {SCN_AT("quorum_size", SCN_T_U32, rabbitmq_consumer_options, quorum_size), .min = 1,
     .max = SCN_BROKERS_MAX, .def = "3"},
    {SCN_AT("delivery_limit", SCN_T_CUSTOM, rabbitmq_consumer_options, delivery_limit),
     .parse = rabbitmq_delivery_limit_parse, .desc = "none or a count of returns",
     .def = "version"},
};
static const scn_schema rabbitmq_consumer_schema =
    SCN_SCHEMA(rabbitmq_consumer_fields, rabbitmq_consumer_check);

/* ---- selectors ---- */

static bool rabbitmq_node_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                scn_selector *selector)
{
    uint32_t nodes = ctx->out->cluster.broker_count;
    uint32_t index = 0;
    if (!scn_u32_text(arg, &index) || index >= nodes)
        return scn_fail(ctx, node, "%s: bad node in '%s', expected node(0..%u)", ctx->where, text,
                        (unsigned)nodes - 1);
    selector->family_args[0] = index;
    return true;
}

static void rabbitmq_node_format(const scn_scenario *scenario, const scn_selector *selector,
                                 char *buf, size_t buf_len)
{
    (void)scenario;
    snprintf(buf, buf_len, "node(%u)", (unsigned)selector->family_args[0]);
}

/* NAME: a consumer group (its queue) or GROUP.N (instance N's queue of a group with
 * queue_per_consumer). The group's own keys are parsed already (faults come after the
 * consumers). */
static bool rabbitmq_queue_arg_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                     scn_selector *selector)
{
    const scn_scenario *scenario = ctx->out;
    for (uint32_t g = 0; g < scenario->consumer_count; g++) {
        const scn_consumer *consumer = &scenario->consumers[g];
        rabbitmq_consumer_options options = rabbitmq_consumer_options_of(consumer);
        size_t length = strlen(consumer->group);
        if (!options.queue_per_consumer && strcmp(arg, consumer->group) == 0) {
            selector->family_args[RABBITMQ_QUEUE_ARG_GROUP] = g;
            selector->family_args[RABBITMQ_QUEUE_ARG_INSTANCE] = 0;
            return true;
        }
        uint32_t instance = 0;
        if (options.queue_per_consumer && strncmp(arg, consumer->group, length) == 0 &&
            arg[length] == '.' && scn_u32_text(arg + length + 1, &instance) &&
            instance < consumer->count) {
            selector->family_args[RABBITMQ_QUEUE_ARG_GROUP] = g;
            selector->family_args[RABBITMQ_QUEUE_ARG_INSTANCE] = instance + 1;
            return true;
        }
    }
    char names[SCN_LIST_TEXT_LEN] = "";
    size_t used = 0;
    for (uint32_t g = 0; g < scenario->consumer_count && used < sizeof names; g++) {
        rabbitmq_consumer_options options = rabbitmq_consumer_options_of(&scenario->consumers[g]);
        used +=
            (size_t)snprintf(names + used, sizeof names - used, "%s%s%s", g ? ", " : "",
                             scenario->consumers[g].group, options.queue_per_consumer ? ".N" : "");
    }
    if (scenario->consumer_count == 0) snprintf(names, sizeof names, "(no queue)");
    return scn_fail(ctx, node, "%s: unknown queue '%s' in '%s', expected one of: %s", ctx->where,
                    arg, text, names);
}

static void rabbitmq_queue_format(const scn_scenario *scenario, const scn_selector *selector,
                                  char *buf, size_t buf_len)
{
    uint32_t group = selector->family_args[RABBITMQ_QUEUE_ARG_GROUP];
    uint32_t instance = selector->family_args[RABBITMQ_QUEUE_ARG_INSTANCE];
    BL_ASSERT(group < scenario->consumer_count);
    const char *what = selector->family_kind == RABBITMQ_SELECTOR_MASTER ? "master" : "queue";
    if (instance == 0)
        snprintf(buf, buf_len, "%s(%s)", what, scenario->consumers[group].group);
    else
        snprintf(buf, buf_len, "%s(%s.%u)", what, scenario->consumers[group].group,
                 (unsigned)instance - 1);
}

static const scn_family_selector rabbitmq_selectors[] = {
    {.name = "node",
     .syntax = "node(N)",
     .kind = RABBITMQ_SELECTOR_NODE,
     .names_brokers = true,
     .parse = rabbitmq_node_parse,
     .format = rabbitmq_node_format},
    {.name = "queue",
     .syntax = "queue(NAME)",
     .kind = RABBITMQ_SELECTOR_QUEUE,
     .names_brokers = true,
     .parse = rabbitmq_queue_arg_parse,
     .format = rabbitmq_queue_format},
    {.name = "master",
     .syntax = "master(NAME)",
     .kind = RABBITMQ_SELECTOR_MASTER,
     .names_brokers = true,
     .parse = rabbitmq_queue_arg_parse,
     .format = rabbitmq_queue_format},
};

const scn_family_schema rabbitmq_schema = {
    .name = "rabbitmq",
    .presets = rabbitmq_presets,
    .sections =
        {
            [SCN_SECTION_CLUSTER] = &rabbitmq_cluster_schema,
            [SCN_SECTION_TOPIC] = &rabbitmq_topic_schema,
            [SCN_SECTION_PRODUCER] = &rabbitmq_producer_schema,
            [SCN_SECTION_CONSUMER] = &rabbitmq_consumer_schema,
        },
    .selectors = rabbitmq_selectors,
    .selector_count = sizeof rabbitmq_selectors / sizeof rabbitmq_selectors[0],
};
