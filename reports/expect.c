/* expect.c — the scenario's `expect:` expressions: parsed, checked against the
 * scenario's names, and evaluated over the checker's results (grammar in expect.h).
 *
 * Parsing is done again for each evaluation (expressions are short), so there is no
 * parsed form to keep in step with the scenario. Errors point at the offending token:
 * `FILE:LINE:COL`, with COL = the expression's column + the token's offset in it.
 * Counts and times are kept apart: a duration may only be compared with a time metric
 * (latency.*, unavailable_s, drain_s), and a count metric only with a count metric. */
#include "expect.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/bl_assert.h"
#include "../engine/schema.h"
#include "../engine/units.h"

typedef enum { OP_EQ = 0, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } expect_op;
typedef enum { OPERAND_NUMBER = 0, OPERAND_DURATION, OPERAND_METRIC } operand_kind;
typedef enum { SCOPE_GROUP = 0, SCOPE_PRODUCER, SCOPE_TOTAL } metric_scope;

/* Metric ids: the plain ones index the tables below; latency families come after them,
 * as LATENCY_BASE + family * STAT_COUNT + statistic. */
static const char *const g_group_metrics[] = {
    "produced",
    "acked",
    "consumed",
    "lost",
    "unacked_lost",
    "duplicated",
    "deduplicated",
    "reordered",
    "reordered_partition",
    "redelivered",
    "unavailable_s",
    "peak_backlog",
    "drain_s",
    "throughput_per_s",
    /* a group's queue limits (RabbitMQ): what the broker's metrics said, and what the
     * checker saw of dead letters; no data without a scrape of the group's queues */
    "expired",
    "maxlen",
    "dead_lettered",
    "dropped",
    "dead_letters_seen",
    "lost_beyond_policy",
    "dead_letters_processed",
};
enum { GROUP_METRIC_COUNT = sizeof g_group_metrics / sizeof g_group_metrics[0] };
static const char *const g_producer_metrics[] = {"sent", "acked", "failed", "unknown", "requests"};
enum { PRODUCER_METRIC_COUNT = sizeof g_producer_metrics / sizeof g_producer_metrics[0] };
/* network.*: the engine's count of the bytes brokers sent each other (results.json
 * `network`), not the checker's; per message: divided by total.produced. */
static const char *const g_total_metrics[] = {"total.produced",
                                              "total.acked",
                                              "total.failed",
                                              "total.unknown",
                                              "network.inter_broker_bytes",
                                              "network.inter_broker_bytes_per_message"};
enum { TOTAL_METRIC_COUNT = sizeof g_total_metrics / sizeof g_total_metrics[0] };
static const char *const g_group_families[] = {"ack", "e2e"};
static const char *const g_producer_families[] = {"ack", "request"};
static const char *const g_stats[] = {"p50", "p99", "p999", "max", "mean"};
enum { STAT_COUNT = 5, LATENCY_BASE = 100 };

typedef struct expect_operand {
    operand_kind kind;
    double value; /* number, or duration in seconds */
    metric_scope scope;
    uint32_t entry;  /* consumer index (group) or producer entry index */
    uint32_t metric; /* metric id */
    bool is_time;
    size_t offset; /* of the token in the expression */
} expect_operand;

typedef struct expect_parsed {
    expect_operand lhs, rhs;
    expect_op op;
} expect_parsed;

/* Where errors go: the expectation's position and the output buffer. */
typedef struct expect_context {
    const scn_scenario *scenario;
    const scn_expect *expect;
    char *error; /* SCN_ERROR_LEN bytes, or NULL */
} expect_context;

__attribute__((format(printf, 3, 4))) static int expect_error(const expect_context *ctx,
                                                              size_t offset, const char *fmt, ...)
{
    if (ctx->error == NULL) return BL_EXIT_BAD_INPUT;
    /* The token's own column where the source is the text; else the expression's start
     * and the token's place in it (an escaped or multi-line expression). */
    bool exact = ctx->expect->exact_columns;
    int prefix =
        exact ? snprintf(ctx->error, SCN_ERROR_LEN, "%s:%u:%u: ", ctx->scenario->path,
                         (unsigned)ctx->expect->mark.line,
                         (unsigned)(ctx->expect->mark.column + offset))
              : snprintf(ctx->error, SCN_ERROR_LEN,
                         "%s:%u:%u: at character %zu of the expression: ", ctx->scenario->path,
                         (unsigned)ctx->expect->mark.line, (unsigned)ctx->expect->mark.column,
                         offset + 1);
    if (prefix < 0 || prefix >= SCN_ERROR_LEN) return BL_EXIT_BAD_INPUT;
    va_list args;
    va_start(args, fmt);
    vsnprintf(ctx->error + prefix, (size_t)(SCN_ERROR_LEN - prefix), fmt, args);
    va_end(args);
    scn_error_one_line(ctx->error); /* an expression's ESC, FF, VT never reach the terminal */
    return BL_EXIT_BAD_INPUT;
}

/* ---- metric paths ---- */

static int find_name(const char *const *table, int count, const char *text, size_t length)
{
    for (int i = 0; i < count; i++) {
        if (strlen(table[i]) == length && memcmp(table[i], text, length) == 0) return i;
    }
    return -1;
}

/* Resolves `path` (length bytes) within a scope's table; returns false if unknown. */
static bool parse_path(const char *path, size_t length, metric_scope scope, uint32_t *metric,
                       bool *is_time)
{
    const char *const *plain = scope == SCOPE_GROUP ? g_group_metrics : g_producer_metrics;
    int plain_count = scope == SCOPE_GROUP ? GROUP_METRIC_COUNT : PRODUCER_METRIC_COUNT;
    const char *const *families = scope == SCOPE_GROUP ? g_group_families : g_producer_families;
    int found = find_name(plain, plain_count, path, length);
    if (found >= 0) {
        *metric = (uint32_t)found;
        *is_time = length > 2 && memcmp(path + length - 2, "_s", 2) == 0 &&
                   !(length > 6 && memcmp(path + length - 6, "_per_s", 6) == 0); /* a rate */
        return true;
    }
    if (length < 8 || memcmp(path, "latency.", 8) != 0) return false;
    const char *family = path + 8;
    const char *dot = memchr(family, '.', length - 8);
    if (dot == NULL) return false;
    int family_index = find_name(families, 2, family, (size_t)(dot - family));
    int stat = find_name(g_stats, STAT_COUNT, dot + 1, length - (size_t)(dot + 1 - path));
    if (family_index < 0 || stat < 0) return false;
    *metric = LATENCY_BASE + (uint32_t)(family_index * STAT_COUNT + stat);
    *is_time = true;
    return true;
}

static int unknown_metric(const expect_context *ctx, size_t offset, const char *text, size_t length,
                          metric_scope scope)
{
    if (scope == SCOPE_PRODUCER) {
        return expect_error(ctx, offset,
                            "unknown producer metric '%.*s'; expected sent, acked, failed, "
                            "unknown, requests, latency.{ack,request}.{p50,p99,p999,max,mean}",
                            (int)length, text);
    }
    return expect_error(ctx, offset,
                        "unknown metric '%.*s'; expected produced, acked, consumed, lost, "
                        "unacked_lost, duplicated, deduplicated, reordered, reordered_partition, "
                        "redelivered, unavailable_s, peak_backlog, drain_s, throughput_per_s, "
                        "expired, maxlen, dead_lettered, dropped, dead_letters_seen, "
                        "lost_beyond_policy, dead_letters_processed, "
                        "latency.{ack,e2e}.{p50,p99,p999,max,mean}, total.{produced,acked,"
                        "failed,unknown}, network.{inter_broker_bytes,"
                        "inter_broker_bytes_per_message}, or producer(NAME).METRIC",
                        (int)length, text);
}

/* `producer(NAME).path` starting at token[0]. */
static int parse_producer_metric(const expect_context *ctx, const char *token, size_t length,
                                 expect_operand *out)
{
    const size_t open = strlen("producer(");
    const char *close = memchr(token + open, ')', length - open);
    if (close == NULL) return expect_error(ctx, out->offset + length, "expected ')'");
    size_t name_length = (size_t)(close - token) - open;
    const scn_scenario *scenario = ctx->scenario;
    int entry = -1;
    for (uint32_t p = 0; p < scenario->producer_count; p++) {
        const char *name = scenario->producers[p].name;
        if (strlen(name) == name_length && memcmp(name, token + open, name_length) == 0) {
            entry = (int)p;
        }
    }
    if (entry < 0) {
        return expect_error(ctx, out->offset + open, "unknown producer '%.*s'", (int)name_length,
                            token + open);
    }
    size_t path_at = (size_t)(close - token) + 1;
    if (path_at >= length || token[path_at] != '.') {
        return expect_error(ctx, out->offset + path_at, "expected '.' and a producer metric");
    }
    path_at++;
    out->scope = SCOPE_PRODUCER;
    out->entry = (uint32_t)entry;
    if (!parse_path(token + path_at, length - path_at, SCOPE_PRODUCER, &out->metric,
                    &out->is_time)) {
        return unknown_metric(ctx, out->offset + path_at, token + path_at, length - path_at,
                              SCOPE_PRODUCER);
    }
    return 0;
}

/* `GROUP.path` with the longest group name that prefixes the token. */
static int parse_group_metric(const expect_context *ctx, const char *token, size_t length,
                              expect_operand *out)
{
    const scn_scenario *scenario = ctx->scenario;
    int best = -1;
    size_t best_length = 0;
    for (uint32_t c = 0; c < scenario->consumer_count; c++) {
        size_t name_length = strlen(scenario->consumers[c].group);
        if (name_length + 1 < length && name_length > best_length &&
            memcmp(token, scenario->consumers[c].group, name_length) == 0 &&
            token[name_length] == '.') {
            best = (int)c;
            best_length = name_length;
        }
    }
    if (best < 0) {
        const char *dot = memchr(token, '.', length);
        size_t first = dot != NULL ? (size_t)(dot - token) : length;
        if (dot == NULL || (first == 7 && memcmp(token, "latency", 7) == 0) ||
            find_name(g_group_metrics, GROUP_METRIC_COUNT, token, first) >= 0) {
            return unknown_metric(ctx, out->offset, token, length, SCOPE_GROUP);
        }
        return expect_error(ctx, out->offset, "unknown group '%.*s' (not a consumers[].group)",
                            (int)first, token);
    }
    size_t path_at = best_length + 1;
    out->scope = SCOPE_GROUP;
    out->entry = (uint32_t)best;
    if (!parse_path(token + path_at, length - path_at, SCOPE_GROUP, &out->metric, &out->is_time)) {
        return unknown_metric(ctx, out->offset + path_at, token + path_at, length - path_at,
                              SCOPE_GROUP);
    }
    return 0;
}

static int parse_metric(const expect_context *ctx, const char *token, size_t length,
                        expect_operand *out)
{
    out->kind = OPERAND_METRIC;
    if (length > 9 && memcmp(token, "producer(", 9) == 0) {
        return parse_producer_metric(ctx, token, length, out);
    }
    if ((length > 6 && memcmp(token, "total.", 6) == 0) ||
        (length > 8 && memcmp(token, "network.", 8) == 0)) {
        int found = find_name(g_total_metrics, TOTAL_METRIC_COUNT, token, length);
        if (found < 0) return unknown_metric(ctx, out->offset, token, length, SCOPE_TOTAL);
        out->scope = SCOPE_TOTAL;
        out->metric = (uint32_t)found;
        out->is_time = false;
        return 0;
    }
    if (!parse_path(token, length, SCOPE_GROUP, &out->metric, &out->is_time)) {
        return parse_group_metric(ctx, token, length, out);
    }
    uint32_t groups = ctx->scenario->consumer_count;
    if (groups != 1) {
        return expect_error(ctx, out->offset,
                            "'%.*s' needs a group: the scenario has %u consumer groups; "
                            "write GROUP.%.*s",
                            (int)length, token, (unsigned)groups, (int)length, token);
    }
    out->scope = SCOPE_GROUP;
    out->entry = 0;
    return 0;
}

/* ---- values ---- */

static bool is_number_text(const char *text)
{
    const char *p = text;
    if (*p == '+' || *p == '-') p++;
    size_t digits = strspn(p, "0123456789");
    p += digits;
    if (*p == '.') {
        size_t fraction = strspn(p + 1, "0123456789");
        digits += fraction;
        p += 1 + fraction;
    }
    if (digits == 0) return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        size_t exponent = strspn(p, "0123456789");
        if (exponent == 0) return false;
        p += exponent;
    }
    return *p == '\0';
}

static bool starts_like_number(const char *token)
{
    const char *p = token;
    if (*p == '+' || *p == '-') p++;
    if (*p == '.') p++;
    return *p >= '0' && *p <= '9';
}

static int parse_operand(const expect_context *ctx, const char *token, size_t length,
                         expect_operand *out)
{
    if (!starts_like_number(token)) return parse_metric(ctx, token, length, out);
    char text[SCN_EXPR_LEN];
    BL_ASSERT(length < sizeof text);
    memcpy(text, token, length);
    text[length] = '\0';
    if (is_number_text(text)) {
        out->kind = OPERAND_NUMBER;
        out->value = strtod(text, NULL);
        if (!isfinite(out->value)) return expect_error(ctx, out->offset, "number out of range");
        return 0;
    }
    int64_t duration_us;
    char why[UNITS_WHY_LEN];
    if (!units_parse_duration_us(text, &duration_us, why)) {
        return expect_error(ctx, out->offset, "'%s' is neither a number nor a duration: %s", text,
                            why);
    }
    out->kind = OPERAND_DURATION;
    out->value = (double)duration_us / 1e6;
    out->is_time = true;
    return 0;
}

/* ---- the expression ---- */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_spaces(const char *expr, size_t at)
{
    while (is_space(expr[at])) at++;
    return at;
}

static size_t token_end(const char *expr, size_t at)
{
    while (expr[at] != '\0' && !is_space(expr[at]) && !strchr("=!<>", expr[at])) at++;
    return at;
}

static int parse_operator(const expect_context *ctx, const char *expr, size_t *at, expect_op *op)
{
    static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">"};
    static const expect_op values[] = {OP_EQ, OP_NE, OP_LE, OP_GE, OP_LT, OP_GT};
    for (int i = 0; i < 6; i++) {
        size_t length = strlen(ops[i]);
        if (strncmp(expr + *at, ops[i], length) == 0) {
            *op = values[i];
            *at += length;
            return 0;
        }
    }
    if (expr[*at] == '\0') {
        return expect_error(ctx, *at, "expected an operator (==, !=, <, <=, >, >=) at the end");
    }
    return expect_error(ctx, *at, "expected an operator (==, !=, <, <=, >, >=), found '%c'",
                        expr[*at]);
}

static int check_units(const expect_context *ctx, const expect_parsed *parsed)
{
    const expect_operand *lhs = &parsed->lhs, *rhs = &parsed->rhs;
    if (rhs->kind == OPERAND_NUMBER || lhs->is_time == rhs->is_time) return 0;
    if (rhs->kind == OPERAND_DURATION) {
        return expect_error(ctx, rhs->offset, "a duration compared with a count metric");
    }
    return expect_error(ctx, rhs->offset, "a %s metric compared with a %s metric",
                        rhs->is_time ? "time" : "count", lhs->is_time ? "time" : "count");
}

static int parse_expect(const expect_context *ctx, expect_parsed *parsed)
{
    const char *expr = ctx->expect->expr;
    memset(parsed, 0, sizeof *parsed);
    size_t at = skip_spaces(expr, 0);
    size_t end = token_end(expr, at);
    if (end == at) return expect_error(ctx, at, "expected a metric");
    parsed->lhs.offset = at;
    if (starts_like_number(expr + at)) {
        return expect_error(ctx, at, "expected a metric on the left of the comparison");
    }
    int status = parse_operand(ctx, expr + at, end - at, &parsed->lhs);
    if (status != 0) return status;
    at = skip_spaces(expr, end);
    status = parse_operator(ctx, expr, &at, &parsed->op);
    if (status != 0) return status;
    at = skip_spaces(expr, at);
    end = token_end(expr, at);
    if (end == at) return expect_error(ctx, at, "expected a number, a duration or a metric");
    parsed->rhs.offset = at;
    status = parse_operand(ctx, expr + at, end - at, &parsed->rhs);
    if (status != 0) return status;
    at = skip_spaces(expr, end);
    if (expr[at] != '\0') return expect_error(ctx, at, "unexpected text after the comparison");
    return check_units(ctx, parsed);
}

int expect_validate(const scn_scenario *scenario, char error[SCN_ERROR_LEN])
{
    BL_ASSERT(scenario != NULL && scenario->expect_count <= SCN_EXPECT_MAX);
    for (uint32_t i = 0; i < scenario->expect_count; i++) {
        expect_context ctx = {scenario, &scenario->expects[i], error};
        expect_parsed parsed;
        int status = parse_expect(&ctx, &parsed);
        if (status != 0) return status;
    }
    return 0;
}

/* ---- evaluation ---- */

static double percentile_stat(const check_percentiles *p, uint32_t stat)
{
    const double values[STAT_COUNT] = {p->p50_s, p->p99_s, p->p999_s, p->max_s, p->mean_s};
    BL_ASSERT(stat < STAT_COUNT);
    return values[stat];
}

/* Group metrics that measure what happened to produced messages: without any they have
 * no data (GROUP_METRIC order). produced, acked and consumed are counts, always defined. */
static const bool g_group_metric_needs_traffic[GROUP_METRIC_COUNT] = {
    false, false, false, true,  true,  true,  true,  true,  true,  true,  true,
    true,  true,  true,  false, false, false, false, false, false, false,
};
/* The first metric that needs the broker's scrape of the group's queues. */
#define FIRST_POLICY_METRIC 14u

static double no_data(char why[EXPECT_WHY_LEN], const char *fmt, const char *a, const char *b)
{
    snprintf(why, EXPECT_WHY_LEN, fmt, a, b);
    return NAN;
}

static double group_value(const check_group *group, uint32_t metric, char why[EXPECT_WHY_LEN])
{
    if (metric >= LATENCY_BASE) {
        uint32_t family = (metric - LATENCY_BASE) / STAT_COUNT;
        const check_percentiles *p = family == 0 ? &group->latency_ack : &group->latency_e2e;
        if (p->count == 0) {
            return family == 0 ? no_data(why, "no send to topic %s of group %s was acknowledged",
                                         group->topic, group->name)
                               : no_data(why, "group %s processed no message%s", group->name, "");
        }
        return percentile_stat(p, (metric - LATENCY_BASE) % STAT_COUNT);
    }
    BL_ASSERT(metric < GROUP_METRIC_COUNT);
    if (g_group_metric_needs_traffic[metric] && group->produced == 0)
        return no_data(why, "nothing was produced to topic %s of group %s", group->topic,
                       group->name);
    if (strcmp(g_group_metrics[metric], "drain_s") == 0 && !group->drained)
        return no_data(why, "the backlog of group %s never drained%s", group->name, "");
    if (strcmp(g_group_metrics[metric], "throughput_per_s") == 0 && isnan(group->throughput_per_s))
        return no_data(why, "group %s has no load phase to measure%s", group->name, "");
    if (metric >= FIRST_POLICY_METRIC && metric != GROUP_METRIC_COUNT - 1 && !group->broker_stats)
        return no_data(why,
                       "no metrics scrape named the queues of group %s%s (a RabbitMQ queue "
                       "with message_ttl, max_length or a dead_letter_exchange has one)",
                       group->name, "");
    const double values[GROUP_METRIC_COUNT] = {
        (double)group->produced,
        (double)group->acked,
        (double)group->consumed,
        (double)group->lost,
        (double)group->unacked_lost,
        (double)group->duplicated,
        (double)group->deduplicated,
        (double)group->reordered,
        (double)group->reordered_partition,
        (double)group->redelivered,
        group->unavailable_s,
        (double)group->peak_backlog,
        group->drain_s,
        group->throughput_per_s,
        (double)group->broker_counts[CHECK_BROKER_EXPIRED],
        (double)group->broker_counts[CHECK_BROKER_MAXLEN],
        (double)group->broker_counts[CHECK_BROKER_DEAD_LETTERED],
        (double)group->broker_counts[CHECK_BROKER_DROPPED],
        (double)group->dead_lettered,
        (double)group->lost_beyond_policy,
        (double)group->dead_letters_processed,
    };
    return values[metric];
}

/* Whether node is `producer/<entry>/<digits>`. */
static bool is_instance_of(const char *node, const char *entry)
{
    size_t entry_length = strlen(entry);
    if (strncmp(node, "producer/", 9) != 0) return false;
    node += 9;
    if (strncmp(node, entry, entry_length) != 0 || node[entry_length] != '/') return false;
    const char *instance = node + entry_length + 1;
    size_t digits = strspn(instance, "0123456789");
    return digits > 0 && instance[digits] == '\0';
}

/* Merges the latency of several instances: count, max and mean exactly; a percentile is
 * exact for one instance with values, else the largest instance percentile (an upper
 * bound of the merged one: at that value every instance has reached the rank). */
static double merged_latency(const check_results *results, const char *entry, uint32_t family,
                             uint32_t stat, char why[EXPECT_WHY_LEN])
{
    uint64_t count = 0;
    double sum = 0, largest = 0;
    for (uint32_t p = 0; p < results->producer_count; p++) {
        const check_producer *producer = &results->producers[p];
        if (!is_instance_of(producer->name, entry)) continue;
        const check_percentiles *lat =
            family == 0 ? &producer->latency_ack : &producer->latency_request;
        if (lat->count == 0) continue;
        count += lat->count;
        sum += lat->mean_s * (double)lat->count;
        double value = percentile_stat(lat, stat);
        if (value > largest) largest = value;
    }
    if (count == 0) {
        return no_data(why,
                       family == 0 ? "no send of producer %s was acknowledged%s"
                                   : "no request of producer %s was answered%s",
                       entry, "");
    }
    return stat == 4 ? sum / (double)count : largest;
}

static double producer_value(const check_results *results, const char *entry, uint32_t metric,
                             char why[EXPECT_WHY_LEN])
{
    if (metric >= LATENCY_BASE) {
        return merged_latency(results, entry, (metric - LATENCY_BASE) / STAT_COUNT,
                              (metric - LATENCY_BASE) % STAT_COUNT, why);
    }
    uint64_t total = 0;
    for (uint32_t p = 0; p < results->producer_count; p++) {
        const check_producer *producer = &results->producers[p];
        if (!is_instance_of(producer->name, entry)) continue;
        const uint64_t values[PRODUCER_METRIC_COUNT] = {producer->sent, producer->acked,
                                                        producer->failed, producer->unknown,
                                                        producer->requests};
        BL_ASSERT(metric < PRODUCER_METRIC_COUNT);
        total += values[metric];
    }
    return (double)total;
}

/* The operand's value, or NAN with why it has no data. */
static double operand_value(const scn_scenario *scenario, const expect_operand *operand,
                            const check_results *results, char why[EXPECT_WHY_LEN])
{
    if (operand->kind != OPERAND_METRIC) return operand->value;
    if (operand->scope == SCOPE_TOTAL) {
        const uint64_t totals[TOTAL_METRIC_COUNT - 1] = {results->produced, results->acked,
                                                         results->failed, results->unknown,
                                                         results->inter_broker_bytes};
        BL_ASSERT(operand->metric < TOTAL_METRIC_COUNT);
        if (operand->metric == TOTAL_METRIC_COUNT - 1) { /* per message */
            if (results->produced == 0) {
                snprintf(why, EXPECT_WHY_LEN, "nothing was produced");
                return NAN;
            }
            return (double)results->inter_broker_bytes / (double)results->produced;
        }
        return (double)totals[operand->metric];
    }
    if (operand->scope == SCOPE_PRODUCER) {
        return producer_value(results, scenario->producers[operand->entry].name, operand->metric,
                              why);
    }
    const char *group_name = scenario->consumers[operand->entry].group;
    for (uint32_t g = 0; g < results->group_count; g++) {
        if (strcmp(results->groups[g].name, group_name) == 0) {
            return group_value(&results->groups[g], operand->metric, why);
        }
    }
    return no_data(why, "group %s never subscribed%s", group_name, "");
}

void expect_evaluate(const scn_scenario *scenario, uint32_t index, const check_results *results,
                     expect_outcome *out)
{
    BL_ASSERT(scenario != NULL && results != NULL && index < scenario->expect_count);
    expect_context ctx = {scenario, &scenario->expects[index], NULL};
    expect_parsed parsed;
    int status = parse_expect(&ctx, &parsed);
    BL_ASSERTF(status == 0, "expectation %u was not validated: %s", (unsigned)index,
               scenario->expects[index].expr);
    memset(out, 0, sizeof *out);
    out->is_time = parsed.lhs.is_time;
    char right_why[EXPECT_WHY_LEN] = "";
    out->lhs = operand_value(scenario, &parsed.lhs, results, out->no_data);
    out->rhs = operand_value(scenario, &parsed.rhs, results, right_why);
    if (out->no_data[0] == '\0') memcpy(out->no_data, right_why, sizeof right_why);
    BL_ASSERT((out->no_data[0] != '\0') == (isnan(out->lhs) || isnan(out->rhs)));
    if (out->no_data[0] != '\0') return; /* no data: it does not hold */
    double left = out->lhs, right = out->rhs;
    switch (parsed.op) {
    case OP_EQ: out->held = left == right; return;
    case OP_NE: out->held = left != right; return;
    case OP_LT: out->held = left < right; return;
    case OP_LE: out->held = left <= right; return;
    case OP_GT: out->held = left > right; return;
    case OP_GE: out->held = left >= right; return;
    }
}

/* ---- warnings ---- */

/* A metric the scenario cannot produce: a producer's request latency or requests
 * without a request model, a group's deduplicated count without dedup. */
static void lint_operand(scn_lint_sink *sink, const scn_expect *expect,
                         const expect_operand *operand)
{
    if (operand->kind != OPERAND_METRIC) return;
    const scn_scenario *scenario = sink->scenario;
    scn_mark mark = expect->mark; /* the metric's column, where columns are exact */
    if (expect->exact_columns) mark.column += (uint32_t)operand->offset;
    const char *why = NULL;
    char name[SCN_NAME_LEN + 64];
    if (operand->scope == SCOPE_PRODUCER) {
        const scn_producer *producer = &scenario->producers[operand->entry];
        bool request_metric = operand->metric >= LATENCY_BASE + STAT_COUNT ||
                              (operand->metric < LATENCY_BASE &&
                               strcmp(g_producer_metrics[operand->metric], "requests") == 0);
        if (request_metric && !producer->request.enabled) {
            snprintf(name, sizeof name, "producer %s has no request model", producer->name);
            why = name;
        }
    } else if (operand->scope == SCOPE_GROUP && operand->metric < LATENCY_BASE &&
               strcmp(g_group_metrics[operand->metric], "deduplicated") == 0 &&
               !scenario->consumers[operand->entry].dedup) {
        snprintf(name, sizeof name, "group %s has no dedup",
                 scenario->consumers[operand->entry].group);
        why = name;
    }
    if (why == NULL) return;
    scn_warn_at(sink, mark, "%s: this metric cannot be measured here", why);
}

uint32_t expect_lint(const scn_scenario *scenario, scn_warning_fn warn, void *user)
{
    scn_lint_sink sink = {.scenario = scenario, .warn = warn, .user = user};
    for (uint32_t i = 0; i < scenario->expect_count; i++) {
        expect_context ctx = {scenario, &scenario->expects[i], NULL};
        expect_parsed parsed;
        int status = parse_expect(&ctx, &parsed);
        BL_ASSERTF(status == 0, "expectation %u was not validated", (unsigned)i);
        lint_operand(&sink, &scenario->expects[i], &parsed.lhs);
        lint_operand(&sink, &scenario->expects[i], &parsed.rhs);
    }
    return sink.count;
}
