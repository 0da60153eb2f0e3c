/* scenario.c — YAML scenario file -> validated scn_scenario, or exactly one error line.
 *
 * Owns the family-neutral part of the format (scenario.h): the top level, the cluster's
 * hosts (network, disk, OS), topics' names and partitions, the workload values of
 * producers and consumers (rates with spikes and ramps, arrival, keys, sizes, request
 * model, processing distribution, buffer, workers, dedup), faults and the engine's
 * selectors, expectations; their defaults, written once in the tables below. A broker
 * family's keys, defaults, relation checks and selectors come from its scn_family_schema
 * (models/<family>/<family>_schema.c), chosen by cluster.preset and composed into the
 * cluster, topic, producer and consumer sections before they are parsed; so this file
 * names no family. The generic machinery is engine/schema.c. Expectation expressions are
 * stored verbatim: reports/expect.c parses them. */
#include "scenario.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bl_assert.h"
#include "schema.h"
#include "units.h"

#define SCN_RATE_MAX_PER_S 1000000000LL
#define SCN_KEYS_COUNT_MAX 1000000
#define SCN_ZIPF_S_MAX     100.0

#define SCN_DIST_DESC "a duration, const(D), exp(MEAN), uniform(LOW, HIGH) or normal(MEAN, SD)"
#define SCN_KEYS_DESC "none, uniform(N), sequential(N) or zipf(N, S)"

/* ---------------------------------------------------------------- references */

/* producers[].topic, consumers[].topic: the index of a topic defined above. */
static bool scn_topic_ref_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    char names[SCN_LIST_TEXT_LEN];
    const char *text = scn_scalar_get(ctx, node, "a topic name");
    if (text == NULL) {
        return false;
    }
    if (!scn_topic_find(ctx->out, text, target)) {
        return scn_fail(ctx, node, "%s: unknown topic '%s', expected one of: %s", ctx->where, text,
                        scn_topic_names(ctx->out, names, sizeof names));
    }
    return true;
}

/* `topic` may be left out only when the scenario has exactly one topic (index 0). */
static bool scn_topic_ref_check(scn_ctx *ctx, const scn_seen *seen)
{
    if (scn_seen_value(seen, "topic") != NULL || ctx->out->topic_count == 1) {
        return true;
    }
    return scn_fail(ctx, seen->map,
                    "missing required key 'topic' %s (the scenario has %u "
                    "topics), expected topic: a topic name",
                    scn_in(ctx), (unsigned)ctx->out->topic_count);
}

/* ---------------------------------------------------------------- selectors */

typedef struct scn_selector_form {
    const char *name;
    scn_selector_kind kind;
    bool takes_arg;
    const char *syntax;
} scn_selector_form;

/* The engine's forms; a family's (scn_family_selector) are listed after the brokers'. */
static const scn_selector_form scn_broker_forms[] = {
    {"broker", SCN_SEL_BROKER, true, "broker(N)"},
    {"brokers", SCN_SEL_ALL_BROKERS, false, "brokers"},
};
static const scn_selector_form scn_client_forms[] = {
    {"producer", SCN_SEL_PRODUCER, true, "producer(NAME[/I])"},
    {"producers", SCN_SEL_ALL_PRODUCERS, false, "producers"},
    {"consumer", SCN_SEL_CONSUMER, true, "consumer(GROUP[/I])"},
    {"consumers", SCN_SEL_ALL_CONSUMERS, false, "consumers"},
    {"clients", SCN_SEL_ALL_CLIENTS, false, "clients"},
};
#define SCN_COUNT(array_) (sizeof(array_) / sizeof((array_)[0]))

/* "a, b, c or d" from the syntaxes of the broker forms, the family's (those naming
 * brokers only, if brokers_only) and, unless brokers_only, the client forms. */
static void scn_selector_desc_compose(const scn_family_schema *family, bool brokers_only, char *buf,
                                      size_t buf_len)
{
    const char *syntax[SCN_COUNT(scn_broker_forms) + SCN_COUNT(scn_client_forms) + SCN_FIELDS_MAX];
    size_t n = 0;
    for (size_t i = 0; i < SCN_COUNT(scn_broker_forms); i++) {
        syntax[n++] = scn_broker_forms[i].syntax;
    }
    for (uint32_t i = 0; family != NULL && i < family->selector_count; i++) {
        BL_ASSERT(n < SCN_COUNT(syntax));
        if (!brokers_only || family->selectors[i].names_brokers) {
            syntax[n++] = family->selectors[i].syntax;
        }
    }
    for (size_t i = 0; !brokers_only && i < SCN_COUNT(scn_client_forms); i++) {
        syntax[n++] = scn_client_forms[i].syntax;
    }
    scn_join_words(syntax, n, " or ", buf, buf_len);
}

static bool scn_form_matches(const char *name, bool takes_arg, const scn_call *call)
{
    return strcmp(name, call->name) == 0 && takes_arg == call->has_parens &&
           call->arg_count == (takes_arg ? 1u : 0u);
}

static const scn_selector_form *scn_selector_form_find(const scn_call *call)
{
    for (size_t i = 0; i < SCN_COUNT(scn_broker_forms); i++) {
        if (scn_form_matches(scn_broker_forms[i].name, scn_broker_forms[i].takes_arg, call)) {
            return &scn_broker_forms[i];
        }
    }
    for (size_t i = 0; i < SCN_COUNT(scn_client_forms); i++) {
        if (scn_form_matches(scn_client_forms[i].name, scn_client_forms[i].takes_arg, call)) {
            return &scn_client_forms[i];
        }
    }
    return NULL;
}

static const scn_family_selector *scn_family_selector_find(const scn_ctx *ctx, const scn_call *call)
{
    for (uint32_t i = 0; ctx->family != NULL && i < ctx->family->selector_count; i++) {
        const scn_family_selector *form = &ctx->family->selectors[i];
        if (scn_form_matches(form->name, !form->no_arg, call)) {
            return &ctx->family->selectors[i];
        }
    }
    return NULL;
}

static bool scn_selector_bad(scn_ctx *ctx, yaml_node_t *node, const char *text)
{
    return scn_fail(ctx, node, "%s: bad selector '%s', expected %s%s", ctx->where, text,
                    ctx->selector_desc, scn_comma_hint(text));
}

static bool scn_selector_broker(scn_ctx *ctx, yaml_node_t *node, const char *text, const char *arg,
                                scn_selector *selector)
{
    uint32_t brokers = ctx->out->cluster.broker_count;
    if (!scn_u32_text(arg, &selector->index)) {
        return scn_selector_bad(ctx, node, text);
    }
    if (selector->index >= brokers) {
        return scn_fail(ctx, node,
                        "%s: broker %s in '%s' is out of range, expected 0..%u "
                        "(cluster.brokers is %u)",
                        ctx->where, arg, text, (unsigned)brokers - 1, (unsigned)brokers);
    }
    return true;
}

/* producer(NAME[/I]) and consumer(GROUP[/I]). */
static bool scn_selector_client(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                scn_selector *selector)
{
    char names[SCN_LIST_TEXT_LEN];
    bool producer = selector->kind == SCN_SEL_PRODUCER;
    const scn_scenario *scn = ctx->out;
    const char *first = producer ? scn->producers[0].name : scn->consumers[0].group;
    size_t stride = producer ? sizeof scn->producers[0] : sizeof scn->consumers[0];
    uint32_t entries = producer ? scn->producer_count : scn->consumer_count;
    char *slash = strchr(arg, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    for (selector->index = 0; selector->index < entries; selector->index++) {
        if (strcmp(first + (size_t)selector->index * stride, arg) == 0) {
            break;
        }
    }
    if (selector->index == entries) {
        return scn_fail(ctx, node, "%s: unknown %s '%s' in '%s', expected one of: %s", ctx->where,
                        producer ? "producer" : "consumer group", arg, text,
                        scn_join_names(first, stride, entries, names, sizeof names));
    }
    selector->all_instances = slash == NULL;
    if (slash == NULL) {
        return true;
    }
    uint32_t count =
        producer ? scn->producers[selector->index].count : scn->consumers[selector->index].count;
    if (!scn_u32_text(slash + 1, &selector->instance)) {
        return scn_selector_bad(ctx, node, text);
    }
    if (selector->instance >= count) {
        return scn_fail(ctx, node,
                        "%s: instance %s in '%s' is out of range, expected 0..%u "
                        "(count is %u)",
                        ctx->where, slash + 1, text, (unsigned)count - 1, (unsigned)count);
    }
    return true;
}

static bool scn_selector_parse(scn_ctx *ctx, yaml_node_t *node, scn_selector *selector)
{
    scn_call call;
    const scn_selector_form *form = NULL;
    const scn_family_selector *family_form = NULL;
    const char *text = scn_scalar_get(ctx, node, ctx->selector_desc);
    if (text == NULL) {
        return false;
    }
    if (scn_call_parse(text, &call)) {
        form = scn_selector_form_find(&call);
        family_form = form == NULL ? scn_family_selector_find(ctx, &call) : NULL;
    }
    if (form == NULL && family_form == NULL) {
        return scn_selector_bad(ctx, node, text);
    }
    memset(selector, 0, sizeof *selector);
    selector->mark = scn_mark_of(node);
    if (family_form != NULL) {
        selector->kind = SCN_SEL_FAMILY;
        selector->family_kind = family_form->kind;
        return family_form->parse(ctx, node, text, call.args[0], selector);
    }
    selector->kind = form->kind;
    switch (form->kind) {
    case SCN_SEL_BROKER: return scn_selector_broker(ctx, node, text, call.args[0], selector);
    case SCN_SEL_PRODUCER:
    case SCN_SEL_CONSUMER: return scn_selector_client(ctx, node, text, call.args[0], selector);
    default: return true;
    }
}

const char *scn_selector_format(const scn_scenario *scenario, const scn_family_schema *family,
                                const scn_selector *selector, char *buf, size_t buf_len)
{
    BL_ASSERT(buf != NULL && buf_len > 0);
    const scn_selector *sel = selector;
    switch (sel->kind) {
    case SCN_SEL_BROKER: snprintf(buf, buf_len, "broker(%u)", (unsigned)sel->index); return buf;
    case SCN_SEL_ALL_BROKERS: snprintf(buf, buf_len, "brokers"); return buf;
    case SCN_SEL_ALL_PRODUCERS: snprintf(buf, buf_len, "producers"); return buf;
    case SCN_SEL_ALL_CONSUMERS: snprintf(buf, buf_len, "consumers"); return buf;
    case SCN_SEL_ALL_CLIENTS: snprintf(buf, buf_len, "clients"); return buf;
    case SCN_SEL_PRODUCER:
    case SCN_SEL_CONSUMER: {
        bool producer = sel->kind == SCN_SEL_PRODUCER;
        BL_ASSERT(sel->index < (producer ? scenario->producer_count : scenario->consumer_count));
        const char *name =
            producer ? scenario->producers[sel->index].name : scenario->consumers[sel->index].group;
        if (sel->all_instances)
            snprintf(buf, buf_len, "%s(%s)", producer ? "producer" : "consumer", name);
        else
            snprintf(buf, buf_len, "%s(%s/%u)", producer ? "producer" : "consumer", name,
                     (unsigned)sel->instance);
        return buf;
    }
    case SCN_SEL_FAMILY:
        for (uint32_t i = 0; family != NULL && i < family->selector_count; i++) {
            if (family->selectors[i].kind != sel->family_kind) continue;
            BL_ASSERTF(family->selectors[i].format != NULL, "selector %s has no format",
                       family->selectors[i].name);
            family->selectors[i].format(scenario, sel, buf, buf_len);
            return buf;
        }
        break;
    }
    BL_ASSERTF(false, "selector kind %d (family kind %u)", (int)sel->kind,
               (unsigned)sel->family_kind);
    return buf;
}

/* Whether the family selector a selector holds names brokers. */
static bool scn_family_selector_names_brokers(const scn_ctx *ctx, const scn_selector *selector)
{
    for (uint32_t i = 0; i < ctx->family->selector_count; i++) {
        if (ctx->family->selectors[i].kind == selector->family_kind) {
            return ctx->family->selectors[i].names_brokers;
        }
    }
    BL_ASSERTF(false, "family selector kind %u", (unsigned)selector->family_kind);
    return false;
}

static bool scn_target_any_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    return scn_selector_parse(ctx, node, target);
}

static bool scn_target_broker_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_selector *selector = target;
    if (!scn_selector_parse(ctx, node, selector)) {
        return false;
    }
    bool broker =
        selector->kind == SCN_SEL_BROKER || selector->kind == SCN_SEL_ALL_BROKERS ||
        (selector->kind == SCN_SEL_FAMILY && scn_family_selector_names_brokers(ctx, selector));
    if (!broker) {
        return scn_fail(ctx, node, "%s: '%s' is not a broker, expected %s", ctx->where,
                        (const char *)node->data.scalar.value, ctx->broker_selector_desc);
    }
    return true;
}

static bool scn_target_consumer_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_selector *selector = target;
    if (!scn_selector_parse(ctx, node, selector)) {
        return false;
    }
    if (selector->kind != SCN_SEL_CONSUMER && selector->kind != SCN_SEL_ALL_CONSUMERS) {
        return scn_fail(ctx, node,
                        "%s: '%s' is not a consumer, expected consumer(GROUP/I), "
                        "consumer(GROUP) or consumers",
                        ctx->where, (const char *)node->data.scalar.value);
    }
    return true;
}

/* A selector, or a sequence of 1..SCN_NODE_SET_MAX selectors. */
static bool scn_node_set_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_node_set *set = target;
    set->count = 0;
    if (node->type == YAML_SCALAR_NODE) {
        set->count = 1;
        return scn_selector_parse(ctx, node, &set->selectors[0]);
    }
    if (!scn_node_check(ctx, node, YAML_SEQUENCE_NODE, "a selector or a sequence of selectors")) {
        return false;
    }
    uint32_t length = scn_seq_length(node);
    if (length == 0) {
        return scn_fail(ctx, node, "%s: empty node set, expected at least one selector",
                        ctx->where);
    }
    if (length > SCN_NODE_SET_MAX) {
        return scn_fail(ctx, node, "%s: %u selectors, expected at most %d", ctx->where,
                        (unsigned)length, SCN_NODE_SET_MAX);
    }
    for (uint32_t i = 0; i < length; i++) {
        size_t saved = scn_where_push_index(ctx, i);
        bool ok = scn_selector_parse(ctx, scn_seq_item(ctx, node, i), &set->selectors[i]);
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
        set->count = i + 1;
    }
    return true;
}

/* `between: [SET, SET]` into the fault's two sides. */
static bool scn_between_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const char desc[] = "a sequence of two node sets such as [[broker(0)], [clients]]";
    scn_fault *fault = target;
    if (!scn_node_check(ctx, node, YAML_SEQUENCE_NODE, desc)) {
        return false;
    }
    if (scn_seq_length(node) != 2) {
        return scn_fail(ctx, node, "%s: %u node sets, expected %s", ctx->where,
                        (unsigned)scn_seq_length(node), desc);
    }
    scn_node_set *sides[2] = {&fault->side_a, &fault->side_b};
    for (uint32_t i = 0; i < 2; i++) {
        size_t saved = scn_where_push_index(ctx, i);
        bool ok = scn_node_set_parse(ctx, scn_seq_item(ctx, node, i), sides[i]);
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------- faults */

static const scn_field scn_one_way_fields[] = {
    {SCN_AT("from", SCN_T_CUSTOM, scn_fault, side_a), .parse = scn_node_set_parse,
     .desc = "a sequence of selectors", .required = true},
    {SCN_AT("to", SCN_T_CUSTOM, scn_fault, side_b), .parse = scn_node_set_parse,
     .desc = "a sequence of selectors", .required = true},
};
static const scn_schema scn_one_way_schema = SCN_SCHEMA(scn_one_way_fields, NULL);

/* partition: [SET, SET] (both ways) or {from: SET, to: SET} (one way). */
static bool scn_partition_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_fault *fault = target;
    if (node->type == YAML_MAPPING_NODE) {
        fault->one_way = true;
        return scn_map_parse(ctx, node, &scn_one_way_schema, fault);
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        return scn_fail(ctx, node,
                        "%s: got %s, expected [[SELECTORS], [SELECTORS]] or "
                        "{from: [SELECTORS], to: [SELECTORS]}",
                        ctx->where, scn_node_kind(node));
    }
    return scn_between_parse(ctx, node, fault);
}

static bool scn_heal_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    (void)target;
    const char *text = scn_scalar_get(ctx, node, "all");
    if (text == NULL) {
        return false;
    }
    if (strcmp(text, "all") != 0) {
        return scn_fail(ctx, node, "%s: unknown value '%s', expected all", ctx->where, text);
    }
    return true;
}

static bool scn_probability_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    const char *text = scn_scalar_get(ctx, node, "a probability in (0, 1]");
    double value = 0.0;
    if (text == NULL) {
        return false;
    }
    if (!scn_decimal_text(text, &value)) {
        return scn_fail(ctx, node,
                        "%s: bad probability '%s', expected a decimal number in "
                        "(0, 1] such as 0.05",
                        ctx->where, text);
    }
    if (!(value > 0.0 && value <= 1.0)) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected a probability in (0, 1]",
                        ctx->where, text);
    }
    /* Exactly, as parts per million: the integer part, then up to six decimals. */
    uint32_t per_million = 0;
    const char *decimals = strchr(text, '.');
    for (const char *d = text; *d != '\0' && d != decimals; d++) {
        per_million =
            per_million * 10 + (uint32_t)(*d - '0') * 1000000u; /* value <= 1: no overflow */
    }
    uint32_t scale = 100000u;
    for (const char *d = decimals != NULL ? decimals + 1 : ""; *d != '\0'; d++, scale /= 10) {
        if (scale == 0 && *d != '0') {
            return scn_fail(ctx, node,
                            "%s: %s has more than 6 decimal places, expected a probability "
                            "in (0, 1] such as 0.05",
                            ctx->where, text);
        }
        per_million += (uint32_t)(*d - '0') * scale;
    }
    BL_ASSERT(per_million >= 1 && per_million <= 1000000u);
    *(uint32_t *)target = per_million;
    return true;
}

static const scn_field scn_lossy_fields[] = {
    {SCN_CUSTOM("between", scn_between_parse, "[[SELECTORS], [SELECTORS]]"), .required = true},
    {SCN_AT("drop", SCN_T_CUSTOM, scn_fault, drop_per_million), .parse = scn_probability_parse,
     .desc = "a probability in (0, 1]", .required = true},
};
static const scn_schema scn_lossy_schema = SCN_SCHEMA(scn_lossy_fields, NULL);

static const scn_field scn_slow_link_fields[] = {
    {SCN_CUSTOM("between", scn_between_parse, "[[SELECTORS], [SELECTORS]]"), .required = true},
    {SCN_AT("latency", SCN_T_DURATION, scn_fault, extra_latency_us), .min = 1,
     .max = SCN_DURATION_MAX_US, .required = true},
};
static const scn_schema scn_slow_link_schema = SCN_SCHEMA(scn_slow_link_fields, NULL);

static bool scn_fault_check(scn_ctx *ctx, const scn_seen *seen, void *base);

#define SCN_FAULT_TARGET(key_, fn_, desc_)                                             \
    {                                                                                  \
        SCN_AT(key_, SCN_T_CUSTOM, scn_fault, target), .parse = (fn_), .desc = (desc_) \
    }

/* The first four keys are the extras of scn_fault_forms; the rest are the kind keys. */
static const scn_field scn_fault_fields[] = {
    {SCN_AT("at", SCN_T_DURATION, scn_fault, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
     .required = true},
    {SCN_AT("for", SCN_T_DURATION, scn_fault, for_us), .min = 1, .max = SCN_DURATION_MAX_US},
    {SCN_AT("restart_after", SCN_T_DURATION, scn_fault, restart_after_us), .min = 0,
     .max = SCN_DURATION_MAX_US},
    {SCN_AT("factor", SCN_T_U32, scn_fault, factor), .min = 2, .max = 1000},
    SCN_FAULT_TARGET("crash", scn_target_any_parse, "a selector"),
    SCN_FAULT_TARGET("kill9", scn_target_any_parse, "a selector"),
    SCN_FAULT_TARGET("restart", scn_target_any_parse, "a selector"),
    {SCN_CUSTOM("partition", scn_partition_parse, "[[SELECTORS], [SELECTORS]]")},
    {SCN_CUSTOM("heal", scn_heal_parse, "all")},
    {.key = "lossy_link", .type = SCN_T_MAP, .offset = 0, .schema = &scn_lossy_schema},
    {.key = "slow_link", .type = SCN_T_MAP, .offset = 0, .schema = &scn_slow_link_schema},
    SCN_FAULT_TARGET("slow_disk", scn_target_broker_parse, "a broker selector"),
    SCN_FAULT_TARGET("disk_full", scn_target_broker_parse, "a broker selector"),
    SCN_FAULT_TARGET("stall", scn_target_consumer_parse, "a consumer selector"),
};
static const scn_schema scn_fault_schema = SCN_SCHEMA(scn_fault_fields, scn_fault_check);

/* Bit i stands for scn_fault_fields[i]: the extras are fields 1..3 of that table. */
#define SCN_FAULT_EXTRAS        4u /* at, for, restart_after, factor */
#define SCN_EXTRA_FOR           (1u << 1)
#define SCN_EXTRA_RESTART_AFTER (1u << 2)
#define SCN_EXTRA_FACTOR        (1u << 3)

/* Per kind (in scn_fault_kind order): extras allowed and required besides `at`. */
typedef struct scn_fault_form {
    const char *key;
    scn_fault_kind kind;
    unsigned extras;
    unsigned extras_required;
} scn_fault_form;

static const scn_fault_form scn_fault_forms[] = {
    {"crash", SCN_FAULT_CRASH, SCN_EXTRA_RESTART_AFTER, 0},
    {"kill9", SCN_FAULT_KILL9, SCN_EXTRA_RESTART_AFTER, 0},
    {"restart", SCN_FAULT_RESTART, 0, 0},
    {"partition", SCN_FAULT_PARTITION, SCN_EXTRA_FOR, 0},
    {"heal", SCN_FAULT_HEAL, 0, 0},
    {"lossy_link", SCN_FAULT_LOSSY_LINK, SCN_EXTRA_FOR, 0},
    {"slow_link", SCN_FAULT_SLOW_LINK, SCN_EXTRA_FOR, 0},
    {"slow_disk", SCN_FAULT_SLOW_DISK, SCN_EXTRA_FOR | SCN_EXTRA_FACTOR, SCN_EXTRA_FACTOR},
    {"disk_full", SCN_FAULT_DISK_FULL, SCN_EXTRA_FOR, 0},
    {"stall", SCN_FAULT_STALL, SCN_EXTRA_FOR, 0},
};
#define SCN_FAULT_FORM_COUNT (sizeof scn_fault_forms / sizeof scn_fault_forms[0])

const char *scn_fault_kind_name(scn_fault_kind kind)
{
    BL_ASSERTF((size_t)kind < SCN_FAULT_FORM_COUNT, "fault kind %d", (int)kind);
    BL_ASSERT(scn_fault_forms[kind].kind == kind);
    return scn_fault_forms[kind].key;
}

static const char *scn_fault_kinds_text(char *buf, size_t buf_len)
{
    const char *keys[SCN_FAULT_FORM_COUNT + 1];
    for (size_t i = 0; i < SCN_FAULT_FORM_COUNT; i++) {
        keys[i] = scn_fault_forms[i].key;
    }
    keys[SCN_FAULT_FORM_COUNT] = NULL;
    return scn_join(keys, buf, buf_len);
}

/* Exactly one kind key: the form of the fault. */
static bool scn_fault_form_pick(scn_ctx *ctx, const scn_seen *seen, const scn_fault_form **out)
{
    char kinds[SCN_LIST_TEXT_LEN];
    const scn_fault_form *form = NULL;
    yaml_node_t *form_key = NULL;
    for (size_t i = 0; i < SCN_FAULT_FORM_COUNT; i++) {
        yaml_node_t *key = seen->keys[scn_schema_index(seen->schema, scn_fault_forms[i].key)];
        if (key == NULL) {
            continue;
        }
        if (form != NULL) {
            bool later = key->start_mark.index > form_key->start_mark.index;
            const scn_fault_form *first = later ? form : &scn_fault_forms[i];
            return scn_fail(ctx, later ? key : form_key,
                            "%s: two fault kinds '%s' and '%s', "
                            "expected exactly one of: %s",
                            ctx->where, first->key, later ? scn_fault_forms[i].key : form->key,
                            scn_fault_kinds_text(kinds, sizeof kinds));
        }
        form = &scn_fault_forms[i];
        form_key = key;
    }
    if (form == NULL) {
        return scn_fail(ctx, seen->map, "%s: no fault kind, expected one of: %s", ctx->where,
                        scn_fault_kinds_text(kinds, sizeof kinds));
    }
    *out = form;
    return true;
}

/* for / restart_after / factor only where the form allows them; factor where required. */
static bool scn_fault_extras_check(scn_ctx *ctx, const scn_seen *seen, const scn_fault_form *form)
{
    char allowed[SCN_LIST_TEXT_LEN];
    BL_ASSERT(strcmp(scn_fault_fields[SCN_FAULT_EXTRAS - 1].key, "factor") == 0);
    int used = snprintf(allowed, sizeof allowed, "at, %s", form->key);
    for (uint32_t i = 1; i < SCN_FAULT_EXTRAS; i++) {
        if ((form->extras & (1u << i)) != 0 && used > 0 && (size_t)used < sizeof allowed) {
            used += snprintf(allowed + used, sizeof allowed - (size_t)used, ", %s",
                             scn_fault_fields[i].key);
        }
    }
    for (uint32_t i = 1; i < SCN_FAULT_EXTRAS; i++) {
        const char *key = scn_fault_fields[i].key;
        bool allowed_here = (form->extras & (1u << i)) != 0;
        if (seen->keys[i] != NULL && !allowed_here) {
            return scn_fail(ctx, seen->keys[i],
                            "%s.%s: does not apply to a %s fault, expected "
                            "only: %s",
                            ctx->where, key, form->key, allowed);
        }
        if (seen->keys[i] == NULL && (form->extras_required & (1u << i)) != 0) {
            return scn_fail(ctx, seen->map,
                            "missing required key '%s' %s, expected %s: an "
                            "integer in %lld..%lld",
                            key, scn_in(ctx), key, (long long)scn_fault_fields[i].min,
                            (long long)scn_fault_fields[i].max);
        }
    }
    return true;
}

static bool scn_fault_parse(scn_ctx *ctx, yaml_node_t *node, void *item)
{
    scn_fault *fault = item;
    scn_seen seen;
    const scn_fault_form *form = NULL;
    if (!scn_map_index(ctx, node, &scn_fault_schema, &seen) ||
        !scn_fault_form_pick(ctx, &seen, &form) || !scn_fault_extras_check(ctx, &seen, form)) {
        return false;
    }
    fault->kind = form->kind;
    return scn_map_apply(ctx, &seen, fault);
}

/* `at` before the end of the run. */
static bool scn_fault_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    char at[32];
    char duration[32];
    const scn_fault *fault = base;
    if (fault->at_us >= ctx->out->duration_us) {
        return scn_fail(ctx, scn_seen_value(seen, "at"),
                        "%s.at: %s is not before the end of "
                        "the run, expected at < duration (%s)",
                        ctx->where, units_format_duration(fault->at_us, at, sizeof at),
                        units_format_duration(ctx->out->duration_us, duration, sizeof duration));
    }
    return true;
}

static void scn_fault_init(void *item)
{
    scn_fault *fault = item;
    fault->restart_after_us = -1;
}

/* Stable sort by `at` (the order of the file among equal times). */
static void scn_faults_sort(scn_scenario *scenario)
{
    uint32_t count = scenario->fault_count;
    uint16_t order[SCN_FAULTS_MAX];
    for (uint32_t i = 0; i < count; i++) {
        uint32_t j = i;
        while (j > 0 && scenario->faults[order[j - 1]].at_us > scenario->faults[i].at_us) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (uint16_t)i;
    }
    scn_fault *sorted = malloc(sizeof *sorted * (count == 0 ? 1 : count));
    BL_ASSERT(sorted != NULL);
    for (uint32_t i = 0; i < count; i++) {
        sorted[i] = scenario->faults[order[i]];
    }
    memcpy(scenario->faults, sorted, sizeof *sorted * count);
    free(sorted);
}

/* ---------------------------------------------------------------- producers */

/* N of uniform(N), sequential(N), zipf(N, S). */
static bool scn_keys_count(scn_ctx *ctx, yaml_node_t *node, const char *text, const char *arg,
                           uint32_t *out)
{
    if (!scn_u32_text(arg, out)) {
        return scn_fail(ctx, node,
                        "%s: bad key count '%s' in '%s', expected an integer in "
                        "1..%d",
                        ctx->where, arg, text, SCN_KEYS_COUNT_MAX);
    }
    if (*out < 1 || *out > SCN_KEYS_COUNT_MAX) {
        return scn_fail(ctx, node, "%s: key count %s in '%s' is out of range, expected 1..%d",
                        ctx->where, arg, text, SCN_KEYS_COUNT_MAX);
    }
    return true;
}

static bool scn_keys_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const char *const names[] = {"none", "uniform", "sequential", "zipf"};
    static const uint32_t arities[] = {0, 1, 1, 2};
    scn_keys *keys = target;
    scn_call call;
    const char *text = scn_scalar_get(ctx, node, SCN_KEYS_DESC);
    if (text == NULL) {
        return false;
    }
    uint32_t kind = 0;
    bool ok = scn_call_parse(text, &call);
    while (ok && kind < 4 && strcmp(names[kind], call.name) != 0) {
        kind++;
    }
    if (!ok || kind == 4 || call.arg_count != arities[kind] || call.has_parens != (kind != 0)) {
        return scn_fail(ctx, node, "%s: bad key distribution '%s', expected %s%s", ctx->where, text,
                        SCN_KEYS_DESC, scn_comma_hint(text));
    }
    keys->kind = (scn_keys_kind)kind;
    keys->count = 0;
    keys->zipf_s = 0.0;
    if (kind != SCN_KEYS_NONE && !scn_keys_count(ctx, node, text, call.args[0], &keys->count)) {
        return false;
    }
    if (kind == SCN_KEYS_ZIPF && (!scn_decimal_text(call.args[1], &keys->zipf_s) ||
                                  keys->zipf_s <= 0.0 || keys->zipf_s > SCN_ZIPF_S_MAX)) {
        return scn_fail(ctx, node,
                        "%s: bad zipf exponent '%s' in '%s', expected a decimal "
                        "number in (0, 100] such as 1.1",
                        ctx->where, call.args[1], text);
    }
    return true;
}

/* One duration argument of a distribution, 0..30d. */
static bool scn_dist_arg(scn_ctx *ctx, yaml_node_t *node, const char *text, const char *arg,
                         int64_t *out)
{
    char why[UNITS_WHY_LEN];
    if (!units_parse_duration_us(arg, out, why)) {
        return scn_fail(ctx, node, "%s: bad duration '%s' in '%s', %s", ctx->where, arg, text, why);
    }
    if (*out > SCN_DURATION_MAX_US) {
        return scn_fail(ctx, node, "%s: %s in '%s' is out of range, expected 0s..30d", ctx->where,
                        arg, text);
    }
    return true;
}

static bool scn_dist_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const char *const names[] = {"const", "exp", "uniform", "normal"};
    static const uint32_t arities[] = {1, 1, 2, 2};
    scn_dist *dist = target;
    scn_call call;
    const char *text = scn_scalar_get(ctx, node, SCN_DIST_DESC);
    if (text == NULL) {
        return false;
    }
    memset(dist, 0, sizeof *dist);
    if (text[0] >= '0' && text[0] <= '9') {
        return scn_dist_arg(ctx, node, text, text, &dist->a_us);
    }
    uint32_t kind = 0;
    bool ok = scn_call_parse(text, &call);
    while (ok && kind < 4 && strcmp(names[kind], call.name) != 0) {
        kind++;
    }
    if (!ok || kind == 4 || call.arg_count != arities[kind]) {
        return scn_fail(ctx, node, "%s: bad distribution '%s', expected %s%s", ctx->where, text,
                        SCN_DIST_DESC, scn_comma_hint(text));
    }
    dist->kind = (scn_dist_kind)kind;
    if (!scn_dist_arg(ctx, node, text, call.args[0], &dist->a_us) ||
        (arities[kind] == 2 && !scn_dist_arg(ctx, node, text, call.args[1], &dist->b_us))) {
        return false;
    }
    if (dist->kind == SCN_DIST_EXP && dist->a_us == 0) {
        return scn_fail(ctx, node, "%s: mean 0 in '%s', expected a mean above 0", ctx->where, text);
    }
    if (dist->kind == SCN_DIST_UNIFORM && dist->a_us > dist->b_us) {
        return scn_fail(ctx, node, "%s: low %s is above high %s in '%s', expected low <= high",
                        ctx->where, call.args[0], call.args[1], text);
    }
    return true;
}

static bool scn_calls_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "call",
        .parse = scn_dist_parse,
        .item_size = sizeof(scn_dist),
        .item_max = SCN_CALLS_MAX,
        .mark_offset = SIZE_MAX,
    };
    scn_request *request = target;
    return scn_list_parse(ctx, node, &list, request->calls, &request->call_count);
}

static bool scn_request_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const scn_request *request = base;
    if (request->publish && request->call_count > 0) {
        return scn_fail(ctx, scn_seen_value(seen, "publish"),
                        "%s: both calls and publish: "
                        "true, expected either calls or publish: true",
                        ctx->where);
    }
    return true;
}

static const scn_field scn_request_fields[] = {
    {SCN_AT("local", SCN_T_DURATION, scn_request, local_us), .min = 0, .max = SCN_DURATION_MAX_US,
     .def = "0s"},
    {SCN_CUSTOM("calls", scn_calls_parse, "a sequence of distributions")},
    {SCN_AT("publish", SCN_T_BOOL, scn_request, publish), .def = "false"},
};
static const scn_schema scn_request_schema = SCN_SCHEMA(scn_request_fields, scn_request_check);

static bool scn_request_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_request *request = target;
    request->enabled = true;
    return scn_map_parse(ctx, node, &scn_request_schema, request);
}

/* `at` of a spike or ramp before the end of the run. */
static bool scn_window_check(scn_ctx *ctx, const scn_seen *seen, int64_t at_us)
{
    char at[32];
    char duration[32];
    if (at_us >= ctx->out->duration_us) {
        return scn_fail(ctx, scn_seen_value(seen, "at"),
                        "%s.at: %s is not before the end of "
                        "the run, expected at < duration (%s)",
                        ctx->where, units_format_duration(at_us, at, sizeof at),
                        units_format_duration(ctx->out->duration_us, duration, sizeof duration));
    }
    return true;
}

static bool scn_spike_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    return scn_window_check(ctx, seen, ((const scn_spike *)base)->at_us);
}

static bool scn_ramp_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    return scn_window_check(ctx, seen, ((const scn_ramp *)base)->at_us);
}

static const scn_field scn_spike_fields[] = {
    {SCN_AT("at", SCN_T_DURATION, scn_spike, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
     .required = true},
    {SCN_AT("for", SCN_T_DURATION, scn_spike, for_us), .min = 1, .max = SCN_DURATION_MAX_US,
     .required = true},
    {SCN_AT("rate", SCN_T_RATE, scn_spike, rate_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
     .required = true},
};
static const scn_schema scn_spike_schema = SCN_SCHEMA(scn_spike_fields, scn_spike_check);

static const scn_field scn_ramp_fields[] = {
    {SCN_AT("at", SCN_T_DURATION, scn_ramp, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
     .required = true},
    {SCN_AT("for", SCN_T_DURATION, scn_ramp, for_us), .min = 1, .max = SCN_DURATION_MAX_US,
     .required = true},
    {SCN_AT("to", SCN_T_RATE, scn_ramp, to_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
     .required = true},
};
static const scn_schema scn_ramp_schema = SCN_SCHEMA(scn_ramp_fields, scn_ramp_check);

static bool scn_spikes_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "spike",
        .schema = &scn_spike_schema,
        .item_size = sizeof(scn_spike),
        .item_max = SCN_SPIKES_MAX,
        .mark_offset = SIZE_MAX,
    };
    scn_rate *rate = target;
    return scn_list_parse(ctx, node, &list, rate->spikes, &rate->spike_count);
}

static bool scn_ramps_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "ramp",
        .schema = &scn_ramp_schema,
        .item_size = sizeof(scn_ramp),
        .item_max = SCN_RAMPS_MAX,
        .mark_offset = SIZE_MAX,
    };
    char a[32];
    char b[32];
    scn_rate *rate = target;
    if (!scn_list_parse(ctx, node, &list, rate->ramps, &rate->ramp_count)) {
        return false;
    }
    for (uint32_t j = 1; j < rate->ramp_count; j++) {
        const scn_ramp *later = &rate->ramps[j];
        for (uint32_t i = 0; i < j; i++) {
            const scn_ramp *earlier = &rate->ramps[i];
            if (later->at_us < earlier->at_us + earlier->for_us &&
                earlier->at_us < later->at_us + later->for_us) {
                return scn_fail(
                    ctx, scn_seq_item(ctx, node, j),
                    "%s[%u]: overlaps ramps[%u] "
                    "(%s..%s), expected ramps that do not overlap",
                    ctx->where, (unsigned)j, (unsigned)i,
                    units_format_duration(earlier->at_us, a, sizeof a),
                    units_format_duration(earlier->at_us + earlier->for_us, b, sizeof b));
            }
        }
    }
    return true;
}

static const scn_field scn_rate_fields[] = {
    {SCN_AT("base", SCN_T_RATE, scn_rate, base_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
     .required = true},
    {SCN_CUSTOM("spikes", scn_spikes_parse, "a sequence of {at, for, rate}")},
    {SCN_CUSTOM("ramps", scn_ramps_parse, "a sequence of {at, for, to}")},
};
static const scn_schema scn_rate_schema = SCN_SCHEMA(scn_rate_fields, NULL);

/* `rate: 1000/s` or `rate: {base, spikes, ramps}`. */
static bool scn_rate_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_rate *rate = target;
    if (node->type == YAML_MAPPING_NODE) {
        return scn_map_parse(ctx, node, &scn_rate_schema, rate);
    }
    return scn_rate_value(ctx, node, 0, SCN_RATE_MAX_PER_S, &rate->base_per_s);
}

/* `topic` names a topic, or is left out beside a single topic. */
static bool scn_client_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    (void)base;
    return scn_topic_ref_check(ctx, seen);
}

/* ---------------------------------------------------------------- consumers */

/* ---------------------------------------------------------------- expectations */

static bool scn_expect_parse(scn_ctx *ctx, yaml_node_t *node, void *item)
{
    static const char desc[] = "a single-key mapping such as 'always: lost == 0'";
    scn_expect *expect = item;
    if (!scn_node_check(ctx, node, YAML_MAPPING_NODE, desc)) {
        return false;
    }
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    long pair_count = (long)(node->data.mapping.pairs.top - pairs);
    if (pair_count != 1) {
        return scn_fail(ctx, node, "%s: %ld keys, expected %s", ctx->where, pair_count, desc);
    }
    yaml_node_t *key = scn_node(ctx, pairs[0].key);
    yaml_node_t *value = scn_node(ctx, pairs[0].value);
    const char *kind = key->type == YAML_SCALAR_NODE ? (const char *)key->data.scalar.value : "";
    if (key->type == YAML_SCALAR_NODE && strlen(kind) != key->data.scalar.length) {
        return scn_fail(ctx, key,
                        "%s: the key contains a NUL character, expected always or "
                        "sometimes",
                        ctx->where);
    }
    if (strcmp(kind, "always") != 0 && strcmp(kind, "sometimes") != 0) {
        return scn_fail(ctx, key,
                        "%s: unknown expectation kind '%s', expected always or "
                        "sometimes",
                        ctx->where, kind);
    }
    size_t saved = scn_where_push_key(ctx, kind);
    const char *text = scn_scalar_get(ctx, value, "an expression such as 'lost == 0'");
    if (text != NULL && strlen(text) >= SCN_EXPR_LEN) {
        scn_fail(ctx, value, "%s: expression too long (%zu characters), expected at most %d",
                 ctx->where, strlen(text), SCN_EXPR_LEN - 1);
        text = NULL;
    }
    scn_where_pop(ctx, saved);
    if (text == NULL) {
        return false;
    }
    expect->kind = kind[0] == 'a' ? SCN_EXPECT_ALWAYS : SCN_EXPECT_SOMETIMES;
    memcpy(expect->expr, text, strlen(text) + 1);
    expect->mark = scn_mark_of(value);
    yaml_scalar_style_t style = value->data.scalar.style;
    bool quoted =
        style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
    if (quoted) {
        expect->mark.column++; /* the first character of the expression, after the quote */
    }
    /* Columns map one to one only if the source is the text itself: one line, as many
     * bytes as characters (an escape, a '' or a folded line breaks that). */
    size_t source_bytes = value->end_mark.index - value->start_mark.index - (quoted ? 2 : 0);
    expect->exact_columns = (style == YAML_PLAIN_SCALAR_STYLE || quoted) &&
                            value->start_mark.line == value->end_mark.line &&
                            source_bytes == strlen(text);
    return true;
}

/* ---------------------------------------------------------------- top level */

static const char *const scn_arrival_names[] = {"constant", "poisson", NULL};
static const char *const scn_network_model_names[] = {"engine", "simgrid", NULL};
static const char *const scn_routing_names[] = {"shared", "key_hash", NULL};

_Static_assert(sizeof(scn_arrival) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_worker_routing) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_network_model) == sizeof(int), "enums are written as int");
_Static_assert(SCN_FAULTS_MAX <= UINT16_MAX, "fault order fits uint16_t");

static const scn_field scn_topic_fields[] = {
    {SCN_AT("name", SCN_T_IDENT, scn_topic, name), .required = true},
    {SCN_AT("partitions", SCN_T_U32, scn_topic, partition_count), .min = 1,
     .max = SCN_PARTITIONS_MAX, .def = "1"},
};
static const scn_schema scn_topic_schema =
    SCN_SECTION_SCHEMA(scn_topic_fields, NULL, SCN_SECTION_TOPIC);

static const scn_field scn_producer_fields[] = {
    {SCN_AT("name", SCN_T_IDENT, scn_producer, name), .required = true},
    {SCN_AT("topic", SCN_T_CUSTOM, scn_producer, topic_index), .parse = scn_topic_ref_parse,
     .desc = "a topic name"},
    {SCN_AT("count", SCN_T_U32, scn_producer, count), .min = 1, .max = SCN_INSTANCES_MAX,
     .def = "1"},
    {SCN_AT("rate", SCN_T_CUSTOM, scn_producer, rate), .parse = scn_rate_parse,
     .desc = "a rate such as 1000/s or {base, spikes, ramps}", .required = true},
    {SCN_AT("arrival", SCN_T_ENUM, scn_producer, arrival), .names = scn_arrival_names,
     .def = "constant"},
    {SCN_AT("keys", SCN_T_CUSTOM, scn_producer, keys), .parse = scn_keys_parse,
     .desc = SCN_KEYS_DESC, .def = "none"},
    {SCN_AT("message_size", SCN_T_SIZE, scn_producer, message_size_bytes), .min = 1,
     .max = 10 * 1024 * 1024, .def = "1KiB"},
    {SCN_AT("request", SCN_T_CUSTOM, scn_producer, request), .parse = scn_request_parse,
     .desc = "a mapping {local, calls, publish}"},
};
static const scn_schema scn_producer_schema =
    SCN_SECTION_SCHEMA(scn_producer_fields, scn_client_check, SCN_SECTION_PRODUCER);

static const scn_field scn_consumer_fields[] = {
    {SCN_AT("group", SCN_T_IDENT, scn_consumer, group), .required = true},
    {SCN_AT("topic", SCN_T_CUSTOM, scn_consumer, topic_index), .parse = scn_topic_ref_parse,
     .desc = "a topic name"},
    {SCN_AT("count", SCN_T_U32, scn_consumer, count), .min = 1, .max = SCN_INSTANCES_MAX,
     .def = "1"},
    {SCN_AT("processing", SCN_T_CUSTOM, scn_consumer, processing), .parse = scn_dist_parse,
     .desc = SCN_DIST_DESC, .def = "0s"},
    {SCN_AT("buffer", SCN_T_U32, scn_consumer, buffer_messages), .min = 0, .max = 1000000,
     .def = "0"},
    {SCN_AT("workers", SCN_T_U32, scn_consumer, workers), .min = 1, .max = SCN_WORKERS_MAX,
     .def = "1"},
    {SCN_AT("worker_routing", SCN_T_ENUM, scn_consumer, routing), .names = scn_routing_names,
     .def = "shared"},
    {SCN_AT("dedup", SCN_T_BOOL, scn_consumer, dedup), .def = "false"},
};
static const scn_schema scn_consumer_schema =
    SCN_SECTION_SCHEMA(scn_consumer_fields, scn_client_check, SCN_SECTION_CONSUMER);

static bool scn_topics_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_list list = {
        .what = "topic",
        .schema = &ctx->sections[SCN_SECTION_TOPIC].schema,
        .item_size = sizeof(scn_topic),
        .item_max = SCN_TOPICS_MAX,
        .mark_offset = offsetof(scn_topic, mark),
        .name_key = "name",
        .name_offset = offsetof(scn_topic, name),
        .nonempty = true,
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->topics, &scenario->topic_count);
}

static bool scn_producers_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_list list = {
        .what = "producer",
        .schema = &ctx->sections[SCN_SECTION_PRODUCER].schema,
        .item_size = sizeof(scn_producer),
        .item_max = SCN_PRODUCERS_MAX,
        .mark_offset = offsetof(scn_producer, mark),
        .name_key = "name",
        .name_offset = offsetof(scn_producer, name),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->producers, &scenario->producer_count);
}

static bool scn_consumers_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    scn_list list = {
        .what = "consumer group",
        .schema = &ctx->sections[SCN_SECTION_CONSUMER].schema,
        .item_size = sizeof(scn_consumer),
        .item_max = SCN_GROUPS_MAX,
        .mark_offset = offsetof(scn_consumer, mark),
        .name_key = "group",
        .name_offset = offsetof(scn_consumer, group),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->consumers, &scenario->consumer_count);
}

static bool scn_faults_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "fault",
        .parse = scn_fault_parse,
        .init = scn_fault_init,
        .item_size = sizeof(scn_fault),
        .item_max = SCN_FAULTS_MAX,
        .mark_offset = offsetof(scn_fault, mark),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->faults, &scenario->fault_count);
}

static bool scn_expects_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "expectation",
        .parse = scn_expect_parse,
        .item_size = sizeof(scn_expect),
        .item_max = SCN_EXPECT_MAX,
        .mark_offset = SIZE_MAX,
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->expects, &scenario->expect_count);
}

static const scn_field scn_network_fields[] = {
    {SCN_AT("latency", SCN_T_DURATION, scn_network, latency_us), .min = 0, .max = 10 * SCN_S_US,
     .def = "500us"},
    {SCN_AT("bandwidth", SCN_T_BANDWIDTH, scn_network, bandwidth_bytes_per_s), .def = "1Gbps"},
    {SCN_AT("model", SCN_T_ENUM, scn_network, model), .names = scn_network_model_names,
     .def = "engine"},
    {SCN_AT("platform", SCN_T_TEXT, scn_network, platform), .max = SCN_PATH_LEN - 1},
};

/* A platform file replaces the star: it is resolved from the scenario's folder and must
 * be readable now; latency and bandwidth would be ignored, so they are refused. Whether
 * it parses and has a host per node is checked when the run builds the platform. */
static bool scn_network_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    scn_network *network = base;
    yaml_node_t *platform = scn_seen_value(seen, "platform");
    if (platform == NULL) {
        return true;
    }
    static const char *const star_keys[] = {"latency", "bandwidth", NULL};
    for (const char *const *key = star_keys; *key != NULL; key++) {
        yaml_node_t *value = scn_seen_value(seen, *key);
        if (value != NULL) {
            return scn_fail(ctx, value,
                            "%s.%s: the platform file sets the links, expected no %s "
                            "with network.platform",
                            ctx->where, *key, *key);
        }
    }
    if (network->platform[0] == '\0') {
        return scn_fail(ctx, platform, "%s.platform: empty, expected a SimGrid platform file",
                        ctx->where);
    }
    char resolved[SCN_PATH_LEN];
    const char *slash = strrchr(ctx->path, '/');
    int length = network->platform[0] == '/' || slash == NULL
                     ? snprintf(resolved, sizeof resolved, "%s", network->platform)
                     : snprintf(resolved, sizeof resolved, "%.*s/%s", (int)(slash - ctx->path),
                                ctx->path, network->platform);
    if (length < 0 || (size_t)length >= sizeof resolved) {
        return scn_fail(ctx, platform,
                        "%s.platform: the path is too long, expected at most %d characters",
                        ctx->where, SCN_PATH_LEN - 1);
    }
    FILE *file = fopen(resolved, "r");
    if (file == NULL) {
        return scn_fail(ctx, platform, "%s.platform: cannot open %s: %s", ctx->where, resolved,
                        strerror(errno));
    }
    fclose(file);
    memcpy(network->platform, resolved, (size_t)length + 1);
    network->platform_mark = scn_mark_of(platform);
    return true;
}
static const scn_schema scn_network_schema = SCN_SCHEMA(scn_network_fields, scn_network_check);

static const scn_field scn_disk_fields[] = {
    {SCN_AT("write_bandwidth", SCN_T_BANDWIDTH, scn_disk, write_bandwidth_bytes_per_s),
     .def = "500MB/s"},
    {SCN_AT("fsync_latency", SCN_T_DURATION, scn_disk, fsync_latency_us), .min = 0,
     .max = 3600 * SCN_S_US, .def = "2ms"},
    {SCN_AT("capacity", SCN_T_SIZE, scn_disk, capacity_bytes), .min = 0, .max = SCN_SIZE_MAX_BYTES,
     .def = "0B"},
};
static const scn_schema scn_disk_schema = SCN_SCHEMA(scn_disk_fields, NULL);

static const scn_field scn_os_fields[] = {
    SCN_DURATION_FIELD("dirty_expire", scn_os, dirty_expire_us, 1, "30s"),
    SCN_DURATION_FIELD("writeback_interval", scn_os, writeback_interval_us, 1, "5s"),
};
static const scn_schema scn_os_schema = SCN_SCHEMA(scn_os_fields, NULL);

/* The family one of whose presets is `preset`, or NULL. */
static const scn_family_schema *scn_family_of_preset(const scn_families *families,
                                                     const char *preset)
{
    for (uint32_t f = 0; f < families->count; f++) {
        for (const char *const *name = families->list[f]->presets; *name != NULL; name++) {
            if (strcmp(*name, preset) == 0) {
                return families->list[f];
            }
        }
    }
    return NULL;
}

/* cluster.preset: one of the presets of the families the loader knows. */
static bool scn_preset_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    const char *text = scn_scalar_get(ctx, node, ctx->preset_desc);
    if (text == NULL) {
        return false;
    }
    const scn_family_schema *family = scn_family_of_preset(ctx->families, text);
    if (family == NULL) {
        return scn_fail(ctx, node, "%s: unknown value '%s', expected %s", ctx->where, text,
                        ctx->preset_desc);
    }
    BL_ASSERTF(ctx->family == family, "the preset chose another family than the document's "
                                      "first look");
    snprintf(target, SCN_NAME_LEN, "%s", text);
    return true;
}

static bool scn_cluster_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    (void)ctx;
    ((scn_cluster *)base)->mark = scn_mark_of(seen->map);
    return true;
}

/* `preset` comes first: it chose the family whose keys the rest may use. */
static const scn_field scn_cluster_fields[] = {
    {SCN_AT("preset", SCN_T_CUSTOM, scn_cluster, preset), .parse = scn_preset_parse,
     .required = true},
    {SCN_AT("brokers", SCN_T_U32, scn_cluster, broker_count), .min = 1, .max = SCN_BROKERS_MAX,
     .def = "3"},
    {SCN_AT("network", SCN_T_MAP, scn_cluster, network), .schema = &scn_network_schema},
    {SCN_AT("disk", SCN_T_MAP, scn_cluster, disk), .schema = &scn_disk_schema},
    {SCN_AT("page_cache", SCN_T_SIZE, scn_cluster, os.page_cache_bytes), .min = 1,
     .max = SCN_SIZE_MAX_BYTES, .def = "16GiB"},
    {SCN_AT("os", SCN_T_MAP, scn_cluster, os), .schema = &scn_os_schema},
};
static const scn_schema scn_cluster_schema =
    SCN_SECTION_SCHEMA(scn_cluster_fields, scn_cluster_check, SCN_SECTION_CLUSTER);

static bool scn_cluster_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    return scn_map_parse(ctx, node, &ctx->sections[SCN_SECTION_CLUSTER].schema, target);
}

static const scn_field scn_check_fields[] = {
    SCN_DURATION_FIELD("unavailable_after", scn_scenario, unavailable_after_us, 1, "1s"),
};
static const scn_schema scn_check_schema = SCN_SCHEMA(scn_check_fields, NULL);

/* Table order is parse order: duration before faults, cluster and topics before the
 * producers, consumers and faults that refer to them. */
static const scn_field scn_scenario_fields[] = {
    {SCN_AT("name", SCN_T_NAME, scn_scenario, name), .required = true},
    {SCN_AT("description", SCN_T_TEXT, scn_scenario, description), .max = SCN_TEXT_LEN - 1},
    {SCN_AT("seed", SCN_T_U64, scn_scenario, seed), .def = "1"},
    {SCN_AT("duration", SCN_T_DURATION, scn_scenario, duration_us), .min = SCN_S_US,
     .max = SCN_DURATION_MAX_US, .required = true},
    SCN_DURATION_FIELD("drain", scn_scenario, drain_us, 0, "60s"),
    {.key = "check", .type = SCN_T_MAP, .offset = 0, .schema = &scn_check_schema},
    {SCN_AT("cluster", SCN_T_CUSTOM, scn_scenario, cluster), .parse = scn_cluster_parse,
     .desc = "a mapping", .required = true},
    {SCN_CUSTOM("topics", scn_topics_parse, "a sequence of topics"), .required = true},
    {SCN_CUSTOM("producers", scn_producers_parse, "a sequence of producers")},
    {SCN_CUSTOM("consumers", scn_consumers_parse, "a sequence of consumer groups")},
    {SCN_CUSTOM("faults", scn_faults_parse, "a sequence of faults")},
    {SCN_CUSTOM("expect", scn_expects_parse, "a sequence of expectations")},
};
static const scn_schema scn_scenario_schema = SCN_SCHEMA(scn_scenario_fields, NULL);

/* The family the document's cluster.preset names, found before the cluster mapping is
 * indexed (its keys depend on it); NULL when the preset is missing or unknown, which
 * the preset's own parse then reports. */
static const scn_family_schema *scn_family_peek(const scn_ctx *ctx, yaml_node_t *root)
{
    yaml_node_t *cluster =
        root->type == YAML_MAPPING_NODE ? scn_map_find(ctx, root, "cluster") : NULL;
    yaml_node_t *preset = cluster != NULL && cluster->type == YAML_MAPPING_NODE
                              ? scn_map_find(ctx, cluster, "preset")
                              : NULL;
    if (preset == NULL || preset->type != YAML_SCALAR_NODE) {
        return NULL;
    }
    return scn_family_of_preset(ctx->families, (const char *)preset->data.scalar.value);
}

/* The sections with the chosen family's keys, the selector and preset descriptions. */
static void scn_family_choose(scn_ctx *ctx, const scn_family_schema *family)
{
    static const struct {
        const scn_schema *base;
        size_t options_offset;
    } sections[SCN_SECTION_COUNT] = {
        [SCN_SECTION_CLUSTER] = {&scn_cluster_schema, offsetof(scn_cluster, family)},
        [SCN_SECTION_TOPIC] = {&scn_topic_schema, offsetof(scn_topic, family)},
        [SCN_SECTION_PRODUCER] = {&scn_producer_schema, offsetof(scn_producer, family)},
        [SCN_SECTION_CONSUMER] = {&scn_consumer_schema, offsetof(scn_consumer, family)},
    };
    ctx->family = family;
    for (int s = SCN_SECTION_CLUSTER; s < SCN_SECTION_COUNT; s++) {
        if (family != NULL) {
            scn_schema_extend(&ctx->sections[s], sections[s].base, family->sections[s],
                              sections[s].options_offset);
        } else {
            scn_schema_extend_all(&ctx->sections[s], sections[s].base, ctx->families,
                                  (scn_section)s, sections[s].options_offset);
        }
    }
    scn_selector_desc_compose(family, false, ctx->selector_desc, sizeof ctx->selector_desc);
    scn_selector_desc_compose(family, true, ctx->broker_selector_desc,
                              sizeof ctx->broker_selector_desc);
    const char *presets[SCN_LIST_TEXT_LEN / 2];
    size_t n = 0;
    for (uint32_t f = 0; f < ctx->families->count; f++) {
        for (const char *const *name = ctx->families->list[f]->presets; *name != NULL; name++) {
            BL_ASSERT(n + 1 < sizeof presets / sizeof presets[0]);
            presets[n++] = *name;
        }
    }
    presets[n] = NULL;
    char names[SCN_LIST_TEXT_LEN];
    snprintf(ctx->preset_desc, sizeof ctx->preset_desc, "one of: %s",
             scn_join(presets, names, sizeof names));
    scn_field *preset = &ctx->sections[SCN_SECTION_CLUSTER].fields[0];
    BL_ASSERT(strcmp(preset->key, "preset") == 0);
    preset->desc = ctx->preset_desc;
}

/* ---------------------------------------------------------------- documents */

/* 1-based line and column of a byte offset (reader errors carry only the offset). */
static yaml_mark_t scn_offset_mark(const unsigned char *data, size_t length, size_t offset)
{
    yaml_mark_t mark = {offset, 0, 0};
    for (size_t i = 0; i < offset && i < length; i++) {
        mark.line += data[i] == '\n' ? 1 : 0;
        mark.column = data[i] == '\n' ? 0 : mark.column + 1;
    }
    return mark;
}

static int scn_syntax_error(scn_ctx *ctx, const yaml_parser_t *parser, const unsigned char *data,
                            size_t length)
{
    yaml_node_t at;
    memset(&at, 0, sizeof at);
    at.start_mark = parser->error == YAML_READER_ERROR
                        ? scn_offset_mark(data, length, parser->problem_offset)
                        : parser->problem_mark;
    const char *problem = parser->problem != NULL ? parser->problem : "cannot parse";
    if (parser->error == YAML_MEMORY_ERROR) {
        /* Not the file's fault: libyaml could not allocate what the document needs. */
        scn_fail(ctx, &at,
                 "out of memory while parsing the YAML document (libyaml), expected "
                 "a smaller scenario");
        return BL_EXIT_BAD_INPUT;
    }
    if (parser->context != NULL) {
        scn_fail(ctx, &at,
                 "YAML syntax error: %s (%s at line %lu, column %lu), expected "
                 "well-formed YAML",
                 problem, parser->context, (unsigned long)parser->context_mark.line + 1,
                 (unsigned long)parser->context_mark.column + 1);
    } else {
        scn_fail(ctx, &at, "YAML syntax error: %s, expected well-formed YAML", problem);
    }
    return BL_EXIT_BAD_INPUT;
}

/* The document has been loaded: a single mapping at the root, parsed with the schema. */
static bool scn_document_parse(scn_ctx *ctx, yaml_parser_t *parser)
{
    yaml_node_t *root = yaml_document_get_root_node(ctx->doc);
    if (root == NULL) {
        return scn_fail(ctx, NULL,
                        "empty scenario, expected a mapping with name, duration, "
                        "cluster and topics");
    }
    if (root->type != YAML_MAPPING_NODE) {
        return scn_fail(ctx, NULL,
                        "the scenario is %s, expected a mapping with name, "
                        "duration, cluster and topics",
                        scn_node_kind(root));
    }
    scn_family_choose(ctx, scn_family_peek(ctx, root));
    if (!scn_map_parse(ctx, root, &scn_scenario_schema, ctx->out)) {
        return false;
    }
    yaml_document_t extra;
    if (!yaml_parser_load(parser, &extra)) {
        return false; /* the caller reports the syntax error */
    }
    yaml_node_t *extra_root = yaml_document_get_root_node(&extra);
    if (extra_root != NULL) {
        scn_fail(ctx, extra_root, "a second YAML document, expected one scenario per file");
    }
    yaml_document_delete(&extra);
    return extra_root == NULL;
}

/* Refuses nesting deeper than SCN_DEPTH_MAX before libyaml builds the document, whose
 * cost grows with the square of the depth (issue 16, defect 11): one pass over the event
 * stream with a depth counter, stopping at the first level too deep. A syntax error
 * stops it too; the load that follows reports it. */
static bool scn_depth_ok(scn_ctx *ctx, const unsigned char *data, size_t length)
{
    yaml_parser_t parser;
    int initialized = yaml_parser_initialize(&parser);
    BL_ASSERT(initialized == 1);
    yaml_parser_set_input_string(&parser, data, length);
    uint32_t depth = 0;
    bool ok = true, done = false;
    while (!done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) break;
        if (event.type == YAML_SEQUENCE_START_EVENT || event.type == YAML_MAPPING_START_EVENT) {
            if (++depth > SCN_DEPTH_MAX) {
                yaml_node_t at;
                memset(&at, 0, sizeof at);
                at.start_mark = event.start_mark;
                scn_fail(ctx, &at,
                         "nesting deeper than %u levels of sequences and mappings, expected "
                         "a scenario (the format nests 5 levels at most)",
                         (unsigned)SCN_DEPTH_MAX);
                ok = false;
                done = true;
            }
        } else if (event.type == YAML_SEQUENCE_END_EVENT || event.type == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (event.type == YAML_STREAM_END_EVENT) {
            done = true;
        }
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return ok;
}

static int scn_load_bytes(const scn_families *families, const char *path, const unsigned char *data,
                          size_t length, scn_scenario *out, char error[SCN_ERROR_LEN])
{
    BL_ASSERT(families != NULL && families->count > 0);
    BL_ASSERT(path != NULL && out != NULL && error != NULL);
    yaml_parser_t parser;
    yaml_document_t doc;
    scn_ctx *ctx = calloc(1, sizeof *ctx);
    BL_ASSERT(ctx != NULL);
    *ctx = (scn_ctx){.path = path, .doc = &doc, .out = out, .error = error, .families = families};
    error[0] = '\0';
    memset(out, 0, sizeof *out);
    snprintf(out->path, sizeof out->path, "%s", path);
    if (!scn_depth_ok(ctx, data, length)) {
        free(ctx);
        return BL_EXIT_BAD_INPUT;
    }
    int initialized = yaml_parser_initialize(&parser);
    BL_ASSERT(initialized == 1);
    yaml_parser_set_input_string(&parser, data, length);
    if (!yaml_parser_load(&parser, &doc)) {
        int code = scn_syntax_error(ctx, &parser, data, length);
        yaml_parser_delete(&parser);
        free(ctx);
        return code;
    }
    bool ok = scn_document_parse(ctx, &parser);
    if (!ok && !ctx->failed) {
        scn_syntax_error(ctx, &parser, data, length);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(ctx);
    if (!ok) {
        return BL_EXIT_BAD_INPUT;
    }
    scn_faults_sort(out);
    return BL_EXIT_OK;
}

int scn_load_string(const scn_families *families, const char *path, const char *yaml_text,
                    scn_scenario *out, char error[SCN_ERROR_LEN])
{
    BL_ASSERT(yaml_text != NULL);
    return scn_load_bytes(families, path, (const unsigned char *)yaml_text, strlen(yaml_text), out,
                          error);
}

static int scn_open_error(const char *path, int error_number, char error[SCN_ERROR_LEN])
{
    snprintf(error, SCN_ERROR_LEN, "%s: cannot open: %s", path, strerror(error_number));
    scn_error_one_line(error);
    return BL_EXIT_BAD_INPUT;
}

int scn_load(const scn_families *families, const char *path, scn_scenario *out,
             char error[SCN_ERROR_LEN])
{
    BL_ASSERT(path != NULL && out != NULL && error != NULL);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return scn_open_error(path, errno, error);
    }
    /* Read at most SCN_FILE_MAX_BYTES and one byte more, to tell a file that is too
     * large (or endless: /dev/zero) from one that fits. */
    size_t capacity = 1 << 16;
    size_t length = 0;
    unsigned char *data = malloc(capacity);
    BL_ASSERT(data != NULL);
    for (;;) {
        length += fread(data + length, 1, capacity - length, file);
        if (length < capacity || length > SCN_FILE_MAX_BYTES) {
            break;
        }
        capacity = capacity * 2 > SCN_FILE_MAX_BYTES + 1 ? SCN_FILE_MAX_BYTES + 1 : capacity * 2;
        data = realloc(data, capacity);
        BL_ASSERT(data != NULL);
    }
    int read_errno = ferror(file) ? errno : 0;
    fclose(file);
    if (read_errno == 0 && length > SCN_FILE_MAX_BYTES) {
        free(data);
        snprintf(error, SCN_ERROR_LEN,
                 "%s: larger than %u MiB, expected a scenario file (at most %u bytes)", path,
                 SCN_FILE_MAX_BYTES >> 20, SCN_FILE_MAX_BYTES);
        scn_error_one_line(error);
        return BL_EXIT_BAD_INPUT;
    }
    int code = read_errno != 0 ? scn_open_error(path, read_errno, error)
                               : scn_load_bytes(families, path, data, length, out, error);
    free(data);
    return code;
}

/* ---------------------------------------------------------------- description */

static void scn_describe_schema(const scn_schema *schema, const char *table, const char *prefix,
                                scn_describe_fn fn, void *user)
{
    for (uint32_t i = 0; i < schema->field_count; i++) {
        const scn_field *field = &schema->fields[i];
        char key[SCN_WHERE_LEN];
        snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", field->key);
        if (field->type == SCN_T_MAP) {
            scn_describe_schema(field->schema, table, key, fn, user);
        } else {
            fn(user, table, key, field->def, field->required);
        }
    }
}

void scn_describe(const scn_family_schema *family, scn_describe_fn fn, void *user)
{
    static const struct {
        const char *table;
        const scn_schema *schema;
        scn_section section; /* the family's keys for it, or NONE */
    } tables[] = {
        {"top", &scn_scenario_schema, SCN_SECTION_NONE},
        {"cluster", &scn_cluster_schema, SCN_SECTION_CLUSTER},
        {"topics", &scn_topic_schema, SCN_SECTION_TOPIC},
        {"producers", &scn_producer_schema, SCN_SECTION_PRODUCER},
        {"producers.rate", &scn_rate_schema, SCN_SECTION_NONE},
        {"producers.request", &scn_request_schema, SCN_SECTION_NONE},
        {"consumers", &scn_consumer_schema, SCN_SECTION_CONSUMER},
    };
    for (size_t t = 0; t < SCN_COUNT(tables); t++) {
        scn_describe_schema(tables[t].schema, tables[t].table, "", fn, user);
        const scn_schema *keys =
            tables[t].section != SCN_SECTION_NONE ? family->sections[tables[t].section] : NULL;
        if (keys != NULL) {
            char table[SCN_NAME_LEN];
            snprintf(table, sizeof table, "%s/%s", tables[t].table, family->name);
            scn_describe_schema(keys, table, "", fn, user);
        }
    }
}
