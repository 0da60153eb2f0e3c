/* scenario.c — YAML scenario file -> validated scn_scenario, or exactly one error line.
 *
 * Owns: loading the YAML document with libyaml's document API (every node keeps an exact
 * start mark), the schema tables (one table per mapping: key, value type, destination
 * field, range), the defaults (Kafka 3.x/4.0 client and broker defaults, as the header
 * comments say), the value parsers that are not plain units (selectors, distributions,
 * key specs, rates with spikes and ramps, faults, expectations), reference resolution
 * (topics, producers, groups, brokers, partitions, instances) and the cross-field
 * relations the header states. Every failure is one `FILE:LINE:COL: what is wrong,
 * expected what` line and BL_EXIT_BAD_INPUT; nothing here aborts on bad input.
 * Expectation expressions are stored verbatim: reports/expect.c parses them.
 *
 * Parsing is schema-driven: a mapping is first indexed (unknown and duplicate keys are
 * errors), then its fields are parsed in table order, which is also dependency order
 * (duration before faults, cluster and topics before selectors), then the schema's
 * relation check runs. Only the first error is kept; every parser returns false on it. */
#include "scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "bl_assert.h"
#include "units.h"

#define SCN_WHERE_LEN 192        /* key path of the node being parsed: topics[0].name */
#define SCN_FIELDS_MAX 24        /* keys in one schema table */
#define SCN_ARG_LEN 160          /* one argument of `name(a, b)` */
#define SCN_ARGS_MAX 2
#define SCN_LIST_TEXT_LEN 400    /* "one of: a, b, c" lists in messages */

#define SCN_S_US 1000000LL
#define SCN_DAY_US (86400LL * SCN_S_US)
#define SCN_DURATION_MAX_US (30 * SCN_DAY_US)
#define SCN_SIZE_MAX_BYTES (1024LL * 1024 * 1024 * 1024 * 1024) /* 1024TiB */
#define SCN_RATE_MAX_PER_S 1000000000LL
#define SCN_KEYS_COUNT_MAX 1000000
#define SCN_ZIPF_S_MAX 100.0

#define SCN_SELECTOR_DESC                                                                    \
    "broker(N), brokers, leader(TOPIC/PARTITION), producer(NAME[/I]), producers, "           \
    "consumer(GROUP[/I]), consumers or clients"
#define SCN_DIST_DESC \
    "a duration, const(D), exp(MEAN), uniform(LOW, HIGH) or normal(MEAN, SD)"
#define SCN_KEYS_DESC "none, uniform(N), sequential(N) or zipf(N, S)"

/* ---------------------------------------------------------------- context, errors */

typedef struct scn_ctx {
    const char *path;
    yaml_document_t *doc;
    scn_scenario *out;
    char *error;                       /* SCN_ERROR_LEN bytes, the caller's */
    bool failed;
    char where[SCN_WHERE_LEN];
    char in_where[SCN_WHERE_LEN + 24]; /* scn_in() */
} scn_ctx;

static bool scn_fail(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Keeps the message on one line whatever the scalars it quotes contain. */
static void scn_error_one_line(char *text)
{
    for (char *c = text; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
}

/* Writes `path:line:col: message` at node's start (1:1 without a node). Always false. */
static bool scn_fail(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    if (ctx->failed) {
        return false;
    }
    ctx->failed = true;
    unsigned long line = node == NULL ? 1 : (unsigned long)node->start_mark.line + 1;
    unsigned long column = node == NULL ? 1 : (unsigned long)node->start_mark.column + 1;
    int prefix = snprintf(ctx->error, SCN_ERROR_LEN, "%s:%lu:%lu: ", ctx->path, line, column);
    if (prefix >= 0 && prefix < SCN_ERROR_LEN) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(ctx->error + prefix, (size_t)(SCN_ERROR_LEN - prefix), fmt, args);
        va_end(args);
    }
    scn_error_one_line(ctx->error);
    return false;
}

static size_t scn_where_push_key(scn_ctx *ctx, const char *key)
{
    size_t saved = strlen(ctx->where);
    snprintf(ctx->where + saved, sizeof ctx->where - saved, "%s%s", saved == 0 ? "" : ".",
             key);
    return saved;
}

static size_t scn_where_push_index(scn_ctx *ctx, uint32_t item)
{
    size_t saved = strlen(ctx->where);
    snprintf(ctx->where + saved, sizeof ctx->where - saved, "[%u]", (unsigned)item);
    return saved;
}

static void scn_where_pop(scn_ctx *ctx, size_t saved)
{
    BL_ASSERT(saved < sizeof ctx->where);
    ctx->where[saved] = '\0';
}

/* "at the top level" or "in cluster.network", for messages about a mapping. */
static const char *scn_in(scn_ctx *ctx)
{
    if (ctx->where[0] == '\0') {
        return "at the top level";
    }
    snprintf(ctx->in_where, sizeof ctx->in_where, "in %s", ctx->where);
    return ctx->in_where;
}

/* ---------------------------------------------------------------- nodes */

static yaml_node_t *scn_node(const scn_ctx *ctx, int id)
{
    yaml_node_t *node = yaml_document_get_node(ctx->doc, id);
    BL_ASSERT(node != NULL);
    return node;
}

static scn_mark scn_mark_of(const yaml_node_t *node)
{
    scn_mark mark = { (uint32_t)node->start_mark.line + 1, (uint32_t)node->start_mark.column + 1 };
    return mark;
}

static bool scn_node_is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
    if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    for (size_t i = 0; i < sizeof nulls / sizeof nulls[0]; i++) {
        if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0) {
            return true;
        }
    }
    return false;
}

static const char *scn_node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a sequence";
    case YAML_SCALAR_NODE: return scn_node_is_null(node) ? "an empty value" : "a scalar";
    default: return "nothing";
    }
}

/* The node's text if it is a non-empty scalar without NUL bytes, else NULL (error). */
static const char *scn_scalar_get(scn_ctx *ctx, const yaml_node_t *node, const char *desc)
{
    if (node->type != YAML_SCALAR_NODE || scn_node_is_null(node)) {
        scn_fail(ctx, node, "%s: got %s, expected %s", ctx->where, scn_node_kind(node), desc);
        return NULL;
    }
    const char *text = (const char *)node->data.scalar.value;
    if (strlen(text) != node->data.scalar.length) {
        scn_fail(ctx, node, "%s: contains a NUL character, expected %s", ctx->where, desc);
        return NULL;
    }
    return text;
}

static bool scn_node_check(scn_ctx *ctx, const yaml_node_t *node, yaml_node_type_t type,
                           const char *desc)
{
    if (node->type == type) {
        return true;
    }
    return scn_fail(ctx, node, "%s: got %s, expected %s", ctx->where, scn_node_kind(node), desc);
}

/* Value node of `key` in a mapping node, or NULL. */
static yaml_node_t *scn_map_find(const scn_ctx *ctx, const yaml_node_t *map, const char *key)
{
    BL_ASSERT(map->type == YAML_MAPPING_NODE);
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key_node = scn_node(ctx, pair->key);
        if (key_node->type == YAML_SCALAR_NODE &&
            strcmp((const char *)key_node->data.scalar.value, key) == 0) {
            return scn_node(ctx, pair->value);
        }
    }
    return NULL;
}

static uint32_t scn_seq_length(const yaml_node_t *seq)
{
    BL_ASSERT(seq->type == YAML_SEQUENCE_NODE);
    return (uint32_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

static yaml_node_t *scn_seq_item(const scn_ctx *ctx, const yaml_node_t *seq, uint32_t item)
{
    BL_ASSERT(item < scn_seq_length(seq));
    return scn_node(ctx, seq->data.sequence.items.start[item]);
}

/* ---------------------------------------------------------------- scalar syntax */

/* Decimal integer `-?(0|[1-9][0-9]*)`: sign and magnitude; *overflow if > UINT64_MAX. */
static bool scn_int_text(const char *text, bool *negative, uint64_t *magnitude, bool *overflow)
{
    const char *c = text;
    *negative = *c == '-';
    c += *negative ? 1 : 0;
    if (*c < '0' || *c > '9' || (c[0] == '0' && c[1] != '\0')) {
        return false;
    }
    uint64_t value = 0;
    *overflow = false;
    for (; *c >= '0' && *c <= '9'; c++) {
        if (__builtin_mul_overflow(value, 10, &value) ||
            __builtin_add_overflow(value, (uint64_t)(*c - '0'), &value)) {
            *overflow = true;
        }
    }
    *magnitude = value;
    return *c == '\0';
}

/* A non-negative decimal integer that fits in uint32_t (selector indices). */
static bool scn_u32_text(const char *text, uint32_t *out)
{
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (!scn_int_text(text, &negative, &value, &overflow) || negative || overflow ||
        value > UINT32_MAX) {
        return false;
    }
    *out = (uint32_t)value;
    return true;
}

/* `[0-9]+(.[0-9]+)?` as a double (probabilities, zipf exponents). */
static bool scn_decimal_text(const char *text, double *out)
{
    const char *c = text;
    if (*c < '0' || *c > '9') {
        return false;
    }
    while (*c >= '0' && *c <= '9') {
        c++;
    }
    if (*c == '.') {
        c++;
        if (*c < '0' || *c > '9') {
            return false;
        }
        while (*c >= '0' && *c <= '9') {
            c++;
        }
    }
    if (*c != '\0') {
        return false;
    }
    *out = strtod(text, NULL);
    return true;
}

/* True if text is 1..SCN_NAME_LEN-1 characters of [a-z0-9._-] (or also A-Z). */
static bool scn_name_text(const char *text, bool upper_allowed)
{
    size_t length = strlen(text);
    if (length == 0 || length >= SCN_NAME_LEN) {
        return false;
    }
    for (const char *c = text; *c != '\0'; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
                  *c == '_' || *c == '-' || (upper_allowed && *c >= 'A' && *c <= 'Z');
        if (!ok) {
            return false;
        }
    }
    return true;
}

/* `name` or `name(arg[, arg])`: the call syntax of selectors, keys and distributions. */
typedef struct scn_call {
    char name[32];
    char args[SCN_ARGS_MAX][SCN_ARG_LEN];
    uint32_t arg_count;
    bool has_parens;
} scn_call;

/* Copies [start, end) trimmed of spaces into arg; false if empty, too long or nested. */
static bool scn_call_arg(const char *start, const char *end, char arg[SCN_ARG_LEN])
{
    while (start < end && *start == ' ') {
        start++;
    }
    while (end > start && end[-1] == ' ') {
        end--;
    }
    size_t length = (size_t)(end - start);
    if (length == 0 || length >= SCN_ARG_LEN || memchr(start, '(', length) != NULL) {
        return false;
    }
    memcpy(arg, start, length);
    arg[length] = '\0';
    return true;
}

static bool scn_call_parse(const char *text, scn_call *call)
{
    memset(call, 0, sizeof *call);
    size_t length = strspn(text, "abcdefghijklmnopqrstuvwxyz0123456789_");
    if (length == 0 || length >= sizeof call->name) {
        return false;
    }
    memcpy(call->name, text, length);
    const char *c = text + length;
    if (*c == '\0') {
        return true;
    }
    const char *close = strchr(c, ')');
    if (*c != '(' || close == NULL || close[1] != '\0') {
        return false;
    }
    call->has_parens = true;
    for (const char *start = c + 1; start <= close; call->arg_count++) {
        const char *comma = memchr(start, ',', (size_t)(close - start));
        const char *end = comma != NULL ? comma : close;
        if (call->arg_count == SCN_ARGS_MAX ||
            !scn_call_arg(start, end, call->args[call->arg_count])) {
            return false;
        }
        start = end + 1;
    }
    return true;
}

/* A flow collection ([ ] or { }) ends a plain scalar at a comma: `uniform(1ms` and a key
 * `3ms)` are what is left of an unquoted `uniform(1ms, 3ms)` there. */
static const char *scn_comma_hint(const char *text)
{
    bool open = strchr(text, '(') != NULL;
    bool close = strchr(text, ')') != NULL;
    if (open != close) {
        return " (inside [ ] or { }, quote a value that contains a comma)";
    }
    return "";
}

/* ---------------------------------------------------------------- formatting */

static const char *scn_format_size(int64_t bytes, char *buf, size_t buf_len)
{
    static const char *const suffixes[] = { "TiB", "GiB", "MiB", "KiB" };
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        int64_t unit = 1LL << (10 * (4 - i));
        if (bytes >= unit && bytes % unit == 0) {
            snprintf(buf, buf_len, "%lld%s", (long long)(bytes / unit), suffixes[i]);
            return buf;
        }
    }
    snprintf(buf, buf_len, "%lldB", (long long)bytes);
    return buf;
}

/* "a, b, c" from a NULL-terminated name list. */
static const char *scn_join(const char *const *names, char *buf, size_t buf_len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL && used < buf_len; i++) {
        int n = snprintf(buf + used, buf_len - used, "%s%s", i == 0 ? "" : ", ", names[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

/* "a, b, c" from names stored every `stride` bytes; "(none defined)" if count is 0. */
static const char *scn_join_names(const char *first, size_t stride, uint32_t count, char *buf,
                                  size_t buf_len)
{
    size_t used = 0;
    snprintf(buf, buf_len, "%s", count == 0 ? "(none defined)" : "");
    for (uint32_t i = 0; i < count && used < buf_len; i++) {
        int n = snprintf(buf + used, buf_len - used, "%s%s", i == 0 ? "" : ", ",
                         first + (size_t)i * stride);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

/* ---------------------------------------------------------------- schema tables */

typedef enum scn_type {
    SCN_T_DURATION,  /* int64_t us in [min, max] */
    SCN_T_SIZE,      /* uint64_t bytes in [min, max] */
    SCN_T_BANDWIDTH, /* uint64_t bytes per second, > 0 */
    SCN_T_RATE,      /* double per second in [min, max] */
    SCN_T_U32,       /* uint32_t in [min, max] */
    SCN_T_U64,       /* uint64_t, any */
    SCN_T_BOOL,      /* true | false */
    SCN_T_ENUM,      /* int-sized enum: index of the text in names[] */
    SCN_T_TEXT,      /* char[max + 1] */
    SCN_T_NAME,      /* char[SCN_NAME_LEN], [a-z0-9._-]+ */
    SCN_T_IDENT,     /* char[SCN_NAME_LEN], [A-Za-z0-9._-]+ */
    SCN_T_MAP,       /* nested mapping parsed with schema, into the field */
    SCN_T_CUSTOM,    /* parse(ctx, node, field) */
} scn_type;

struct scn_schema;
typedef bool (*scn_parse_fn)(scn_ctx *ctx, yaml_node_t *node, void *target);

typedef struct scn_field {
    const char *key;
    scn_type type;
    size_t offset;                  /* of the destination in the mapping's struct */
    int64_t min, max;               /* ranges; TEXT: max length */
    const char *const *names;       /* ENUM: NULL-terminated, index = enum value */
    const struct scn_schema *schema; /* MAP */
    scn_parse_fn parse;             /* CUSTOM */
    const char *desc;               /* CUSTOM: what a good value looks like */
    bool required;
} scn_field;

/* The keys present in one mapping, by field index. */
typedef struct scn_seen {
    const struct scn_schema *schema;
    yaml_node_t *map;
    yaml_node_t *keys[SCN_FIELDS_MAX];
    yaml_node_t *values[SCN_FIELDS_MAX];
} scn_seen;

typedef bool (*scn_check_fn)(scn_ctx *ctx, const scn_seen *seen, void *base);

typedef struct scn_schema {
    const scn_field *fields;
    uint32_t field_count;
    scn_check_fn check;             /* relations between fields, after them; or NULL */
} scn_schema;

#define SCN_SCHEMA(fields_, check_) \
    { (fields_), (uint32_t)(sizeof(fields_) / sizeof((fields_)[0])), (check_) }
#define SCN_AT(key_, type_, struct_, member_) \
    .key = (key_), .type = (type_), .offset = offsetof(struct_, member_)
#define SCN_CUSTOM(key_, fn_, desc_) \
    .key = (key_), .type = SCN_T_CUSTOM, .offset = 0, .parse = (fn_), .desc = (desc_)

static int scn_schema_index(const scn_schema *schema, const char *key)
{
    for (uint32_t i = 0; i < schema->field_count; i++) {
        if (strcmp(schema->fields[i].key, key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static yaml_node_t *scn_seen_value(const scn_seen *seen, const char *key)
{
    int at = scn_schema_index(seen->schema, key);
    BL_ASSERT(at >= 0);
    return seen->values[at];
}

/* The first present value among keys (NULL-terminated), else the mapping itself. */
static yaml_node_t *scn_seen_first(const scn_seen *seen, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        yaml_node_t *value = scn_seen_value(seen, keys[i]);
        if (value != NULL) {
            return value;
        }
    }
    return seen->map;
}

static const char *scn_field_desc(const scn_field *field, char *buf, size_t buf_len)
{
    char names[SCN_LIST_TEXT_LEN];
    switch (field->type) {
    case SCN_T_DURATION: return "a duration such as 5ms";
    case SCN_T_SIZE: return "a size such as 64KiB";
    case SCN_T_BANDWIDTH: return "a bandwidth such as 1Gbps or 500MB/s";
    case SCN_T_RATE: return "a rate such as 1000/s";
    case SCN_T_U32:
        snprintf(buf, buf_len, "an integer in %lld..%lld", (long long)field->min,
                 (long long)field->max);
        return buf;
    case SCN_T_U64: return "a non-negative integer";
    case SCN_T_BOOL: return "true or false";
    case SCN_T_ENUM:
        snprintf(buf, buf_len, "one of: %s", scn_join(field->names, names, sizeof names));
        return buf;
    case SCN_T_TEXT: return "a string";
    case SCN_T_NAME: return "a name matching [a-z0-9._-]+";
    case SCN_T_IDENT: return "a name matching [A-Za-z0-9._-]+";
    case SCN_T_MAP: return "a mapping";
    case SCN_T_CUSTOM: return field->desc;
    }
    return "a value";
}

static const char *scn_schema_keys(const scn_schema *schema, char *buf, size_t buf_len)
{
    const char *keys[SCN_FIELDS_MAX + 1];
    for (uint32_t i = 0; i < schema->field_count; i++) {
        keys[i] = schema->fields[i].key;
    }
    keys[schema->field_count] = NULL;
    return scn_join(keys, buf, buf_len);
}

/* ---------------------------------------------------------------- typed fields */

static bool scn_duration_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node,
                               int64_t *out)
{
    char why[UNITS_WHY_LEN];
    char low[32];
    char high[32];
    const char *text = scn_scalar_get(ctx, node, "a duration such as 5ms");
    int64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (!units_parse_duration_us(text, &value, why)) {
        return scn_fail(ctx, node, "%s: bad duration '%s', %s", ctx->where, text, why);
    }
    if (value < field->min || value > field->max) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected %s..%s", ctx->where, text,
                        units_format_duration(field->min, low, sizeof low),
                        units_format_duration(field->max, high, sizeof high));
    }
    *out = value;
    return true;
}

static bool scn_size_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node,
                           uint64_t *out)
{
    char why[UNITS_WHY_LEN];
    char low[32];
    char high[32];
    const char *text = scn_scalar_get(ctx, node, "a size such as 64KiB");
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (!units_parse_size_bytes(text, &value, why)) {
        return scn_fail(ctx, node, "%s: bad size '%s', %s", ctx->where, text, why);
    }
    if (value < (uint64_t)field->min || value > (uint64_t)field->max) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected %s..%s", ctx->where, text,
                        scn_format_size(field->min, low, sizeof low),
                        scn_format_size(field->max, high, sizeof high));
    }
    *out = value;
    return true;
}

static bool scn_bandwidth_field(scn_ctx *ctx, yaml_node_t *node, uint64_t *out)
{
    char why[UNITS_WHY_LEN];
    const char *text = scn_scalar_get(ctx, node, "a bandwidth such as 1Gbps or 500MB/s");
    if (text == NULL) {
        return false;
    }
    if (!units_parse_bandwidth_bytes_per_s(text, out, why)) {
        return scn_fail(ctx, node, "%s: bad bandwidth '%s', %s", ctx->where, text, why);
    }
    return true;
}

static bool scn_rate_value(scn_ctx *ctx, yaml_node_t *node, int64_t min, int64_t max,
                           double *out)
{
    char why[UNITS_WHY_LEN];
    const char *text = scn_scalar_get(ctx, node, "a rate such as 1000/s");
    double value = 0.0;
    if (text == NULL) {
        return false;
    }
    if (!units_parse_rate_per_s(text, &value, why)) {
        return scn_fail(ctx, node, "%s: bad rate '%s', %s", ctx->where, text, why);
    }
    if (value < (double)min || value > (double)max) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected %lld/s..%lld/s",
                        ctx->where, text, (long long)min, (long long)max);
    }
    *out = value;
    return true;
}

static bool scn_u32_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node,
                          uint32_t *out)
{
    char desc[64];
    const char *text = scn_scalar_get(ctx, node, scn_field_desc(field, desc, sizeof desc));
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (!scn_int_text(text, &negative, &value, &overflow)) {
        return scn_fail(ctx, node, "%s: bad integer '%s', expected a decimal integer in "
                        "%lld..%lld", ctx->where, text, (long long)field->min,
                        (long long)field->max);
    }
    bool zero = value == 0;
    if (overflow || (negative && !zero) || (int64_t)value < field->min ||
        value > (uint64_t)field->max) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected %lld..%lld", ctx->where,
                        text, (long long)field->min, (long long)field->max);
    }
    *out = (uint32_t)value;
    return true;
}

static bool scn_u64_field(scn_ctx *ctx, yaml_node_t *node, uint64_t *out)
{
    const char *text = scn_scalar_get(ctx, node, "a non-negative integer");
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (!scn_int_text(text, &negative, &value, &overflow)) {
        return scn_fail(ctx, node, "%s: bad integer '%s', expected a non-negative decimal "
                        "integer", ctx->where, text);
    }
    if (overflow || (negative && value != 0)) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected 0..%llu", ctx->where,
                        text, (unsigned long long)UINT64_MAX);
    }
    *out = value;
    return true;
}

static bool scn_bool_field(scn_ctx *ctx, yaml_node_t *node, bool *out)
{
    const char *text = scn_scalar_get(ctx, node, "true or false");
    if (text == NULL) {
        return false;
    }
    if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0) {
        return scn_fail(ctx, node, "%s: bad boolean '%s', expected true or false", ctx->where,
                        text);
    }
    *out = text[0] == 't';
    return true;
}

static bool scn_enum_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, void *out)
{
    char buf[SCN_LIST_TEXT_LEN];
    const char *desc = scn_field_desc(field, buf, sizeof buf);
    const char *text = scn_scalar_get(ctx, node, desc);
    if (text == NULL) {
        return false;
    }
    for (int i = 0; field->names[i] != NULL; i++) {
        if (strcmp(field->names[i], text) == 0) {
            memcpy(out, &i, sizeof i); /* every scn_* enum is int-sized (asserted below) */
            return true;
        }
    }
    return scn_fail(ctx, node, "%s: unknown value '%s', expected %s", ctx->where, text, desc);
}

static bool scn_text_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, char *out)
{
    char buf[64];
    const char *desc = scn_field_desc(field, buf, sizeof buf);
    const char *text = scn_scalar_get(ctx, node, desc);
    if (text == NULL) {
        return false;
    }
    size_t length = strlen(text);
    if (field->type == SCN_T_TEXT) {
        while (length > 0 && text[length - 1] == '\n') {
            length--; /* the line break that ends a `>` or `|` block scalar */
        }
        if (length > (size_t)field->max) {
            return scn_fail(ctx, node, "%s: too long (%zu characters), expected at most %lld",
                            ctx->where, length, (long long)field->max);
        }
    } else if (!scn_name_text(text, field->type == SCN_T_IDENT)) {
        return scn_fail(ctx, node, "%s: bad name '%s', expected %s of at most %d characters",
                        ctx->where, text, desc, SCN_NAME_LEN - 1);
    }
    memcpy(out, text, length);
    out[length] = '\0';
    return true;
}

static bool scn_map_parse(scn_ctx *ctx, yaml_node_t *node, const scn_schema *schema,
                          void *base);

static bool scn_field_parse(scn_ctx *ctx, const scn_field *field, yaml_node_t *node,
                            void *target)
{
    switch (field->type) {
    case SCN_T_DURATION: return scn_duration_field(ctx, field, node, target);
    case SCN_T_SIZE: return scn_size_field(ctx, field, node, target);
    case SCN_T_BANDWIDTH: return scn_bandwidth_field(ctx, node, target);
    case SCN_T_RATE: return scn_rate_value(ctx, node, field->min, field->max, target);
    case SCN_T_U32: return scn_u32_field(ctx, field, node, target);
    case SCN_T_U64: return scn_u64_field(ctx, node, target);
    case SCN_T_BOOL: return scn_bool_field(ctx, node, target);
    case SCN_T_ENUM: return scn_enum_field(ctx, field, node, target);
    case SCN_T_TEXT:
    case SCN_T_NAME:
    case SCN_T_IDENT: return scn_text_field(ctx, field, node, target);
    case SCN_T_MAP: return scn_map_parse(ctx, node, field->schema, target);
    case SCN_T_CUSTOM: return field->parse(ctx, node, target);
    }
    BL_ASSERTF(false, "field type %d", (int)field->type);
    return false;
}

/* ---------------------------------------------------------------- mappings */

/* Checks the node is a mapping whose keys are all in the schema, each once. */
static bool scn_map_index(scn_ctx *ctx, yaml_node_t *map, const scn_schema *schema,
                          scn_seen *seen)
{
    char keys[SCN_LIST_TEXT_LEN];
    BL_ASSERT(schema->field_count <= SCN_FIELDS_MAX);
    memset(seen, 0, sizeof *seen);
    seen->schema = schema;
    seen->map = map;
    if (!scn_node_check(ctx, map, YAML_MAPPING_NODE, "a mapping")) {
        return false;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = scn_node(ctx, pair->key);
        if (key->type != YAML_SCALAR_NODE) {
            return scn_fail(ctx, key, "bad key %s: got %s, expected a key name", scn_in(ctx),
                            scn_node_kind(key));
        }
        const char *text = (const char *)key->data.scalar.value;
        int at = scn_schema_index(schema, text);
        if (at < 0) {
            return scn_fail(ctx, key, "unknown key '%s' %s, expected one of: %s%s", text,
                            scn_in(ctx), scn_schema_keys(schema, keys, sizeof keys),
                            scn_comma_hint(text));
        }
        if (seen->keys[at] != NULL) {
            return scn_fail(ctx, key, "duplicate key '%s' %s (first on line %lu), expected "
                            "each key once", text, scn_in(ctx),
                            (unsigned long)seen->keys[at]->start_mark.line + 1);
        }
        seen->keys[at] = key;
        seen->values[at] = scn_node(ctx, pair->value);
    }
    return true;
}

/* Parses the present fields in table order, reports missing required ones, then runs
 * the schema's relation check. */
static bool scn_map_apply(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    char desc[SCN_LIST_TEXT_LEN];
    const scn_schema *schema = seen->schema;
    for (uint32_t i = 0; i < schema->field_count; i++) {
        const scn_field *field = &schema->fields[i];
        if (seen->values[i] == NULL) {
            if (field->required) {
                return scn_fail(ctx, seen->map, "missing required key '%s' %s, expected %s: %s",
                                field->key, scn_in(ctx), field->key,
                                scn_field_desc(field, desc, sizeof desc));
            }
            continue;
        }
        size_t saved = scn_where_push_key(ctx, field->key);
        bool ok = scn_field_parse(ctx, field, seen->values[i], (char *)base + field->offset);
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
    }
    return schema->check == NULL || schema->check(ctx, seen, base);
}

static bool scn_map_parse(scn_ctx *ctx, yaml_node_t *node, const scn_schema *schema,
                          void *base)
{
    scn_seen seen;
    return scn_map_index(ctx, node, schema, &seen) && scn_map_apply(ctx, &seen, base);
}

/* ---------------------------------------------------------------- sequences */

/* A sequence of items stored in an array with a count. */
typedef struct scn_list {
    const char *what;            /* "topic", for messages */
    const scn_schema *schema;    /* items are mappings parsed with it ... */
    scn_parse_fn parse;          /* ... or with this, if set */
    void (*init)(void *item);    /* defaults, or NULL for zero */
    size_t item_size;
    uint32_t item_max;
    size_t mark_offset;          /* of the item's scn_mark, or SIZE_MAX */
    const char *name_key;        /* key whose value must be unique, or NULL */
    size_t name_offset;
    bool nonempty;
} scn_list;

/* Error if the name of item `last` was used by an earlier item. ctx->where is the item's
 * path; its first list_where_len characters are the list's. */
static bool scn_list_unique(scn_ctx *ctx, const scn_list *list, yaml_node_t *item_node,
                            const char *items, uint32_t last, size_t list_where_len)
{
    const char *name = items + (size_t)last * list->item_size + list->name_offset;
    for (uint32_t i = 0; i < last; i++) {
        if (strcmp(items + (size_t)i * list->item_size + list->name_offset, name) == 0) {
            size_t saved = scn_where_push_key(ctx, list->name_key);
            scn_fail(ctx, scn_map_find(ctx, item_node, list->name_key),
                     "%s: duplicate %s name '%s' (also in %.*s[%u]), expected unique names",
                     ctx->where, list->what, name, (int)list_where_len, ctx->where,
                     (unsigned)i);
            scn_where_pop(ctx, saved);
            return false;
        }
    }
    return true;
}

static bool scn_list_parse(scn_ctx *ctx, yaml_node_t *node, const scn_list *list, void *items,
                           uint32_t *count)
{
    char desc[64];
    snprintf(desc, sizeof desc, "a sequence of %ss", list->what);
    if (!scn_node_check(ctx, node, YAML_SEQUENCE_NODE, desc)) {
        return false;
    }
    uint32_t length = scn_seq_length(node);
    if (length == 0 && list->nonempty) {
        return scn_fail(ctx, node, "%s: empty, expected at least one %s", ctx->where,
                        list->what);
    }
    for (uint32_t i = 0; i < length; i++) {
        yaml_node_t *item_node = scn_seq_item(ctx, node, i);
        if (i == list->item_max) {
            return scn_fail(ctx, item_node, "%s: more than %u entries, expected at most %u",
                            ctx->where, (unsigned)list->item_max, (unsigned)list->item_max);
        }
        char *item = (char *)items + (size_t)i * list->item_size;
        memset(item, 0, list->item_size);
        if (list->init != NULL) {
            list->init(item);
        }
        if (list->mark_offset != SIZE_MAX) {
            scn_mark mark = scn_mark_of(item_node);
            memcpy(item + list->mark_offset, &mark, sizeof mark);
        }
        size_t saved = scn_where_push_index(ctx, i);
        bool ok = list->parse != NULL ? list->parse(ctx, item_node, item)
                                      : scn_map_parse(ctx, item_node, list->schema, item);
        ok = ok && (list->name_key == NULL ||
                    scn_list_unique(ctx, list, item_node, items, i, saved));
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
        *count = i + 1;
    }
    return true;
}

/* ---------------------------------------------------------------- references */

static bool scn_topic_find(const scn_scenario *scenario, const char *name, uint32_t *out)
{
    for (uint32_t i = 0; i < scenario->topic_count; i++) {
        if (strcmp(scenario->topics[i].name, name) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

static const char *scn_topic_names(const scn_scenario *scenario, char *buf, size_t buf_len)
{
    return scn_join_names(scenario->topics[0].name, sizeof scenario->topics[0],
                          scenario->topic_count, buf, buf_len);
}

/* producers[].topic, consumers[].topic: the index of a topic defined above. */
static bool scn_topic_ref_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    char names[SCN_LIST_TEXT_LEN];
    const char *text = scn_scalar_get(ctx, node, "a topic name");
    if (text == NULL) {
        return false;
    }
    if (!scn_topic_find(ctx->out, text, target)) {
        return scn_fail(ctx, node, "%s: unknown topic '%s', expected one of: %s", ctx->where,
                        text, scn_topic_names(ctx->out, names, sizeof names));
    }
    return true;
}

/* `topic` may be left out only when the scenario has exactly one topic (index 0). */
static bool scn_topic_ref_check(scn_ctx *ctx, const scn_seen *seen)
{
    if (scn_seen_value(seen, "topic") != NULL || ctx->out->topic_count == 1) {
        return true;
    }
    return scn_fail(ctx, seen->map, "missing required key 'topic' %s (the scenario has %u "
                    "topics), expected topic: a topic name", scn_in(ctx),
                    (unsigned)ctx->out->topic_count);
}

/* ---------------------------------------------------------------- selectors */

typedef struct scn_selector_form {
    const char *name;
    scn_selector_kind kind;
    bool takes_arg;
} scn_selector_form;

static const scn_selector_form scn_selector_forms[] = {
    { "broker", SCN_SEL_BROKER, true },       { "brokers", SCN_SEL_ALL_BROKERS, false },
    { "leader", SCN_SEL_LEADER, true },       { "producer", SCN_SEL_PRODUCER, true },
    { "producers", SCN_SEL_ALL_PRODUCERS, false }, { "consumer", SCN_SEL_CONSUMER, true },
    { "consumers", SCN_SEL_ALL_CONSUMERS, false }, { "clients", SCN_SEL_ALL_CLIENTS, false },
};

static const scn_selector_form *scn_selector_form_find(const scn_call *call)
{
    for (size_t i = 0; i < sizeof scn_selector_forms / sizeof scn_selector_forms[0]; i++) {
        const scn_selector_form *form = &scn_selector_forms[i];
        if (strcmp(form->name, call->name) == 0 && form->takes_arg == call->has_parens &&
            call->arg_count == (form->takes_arg ? 1u : 0u)) {
            return form;
        }
    }
    return NULL;
}

static bool scn_selector_bad(scn_ctx *ctx, yaml_node_t *node, const char *text)
{
    return scn_fail(ctx, node, "%s: bad selector '%s', expected %s%s", ctx->where, text,
                    SCN_SELECTOR_DESC, scn_comma_hint(text));
}

static bool scn_selector_broker(scn_ctx *ctx, yaml_node_t *node, const char *text,
                                const char *arg, scn_selector *selector)
{
    uint32_t brokers = ctx->out->cluster.broker_count;
    if (!scn_u32_text(arg, &selector->index)) {
        return scn_selector_bad(ctx, node, text);
    }
    if (selector->index >= brokers) {
        return scn_fail(ctx, node, "%s: broker %s in '%s' is out of range, expected 0..%u "
                        "(cluster.brokers is %u)", ctx->where, arg, text,
                        (unsigned)brokers - 1, (unsigned)brokers);
    }
    return true;
}

static bool scn_selector_leader(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                                scn_selector *selector)
{
    char names[SCN_LIST_TEXT_LEN];
    char *slash = strchr(arg, '/');
    if (slash == NULL) {
        return scn_fail(ctx, node, "%s: bad selector '%s', expected leader(TOPIC/PARTITION)",
                        ctx->where, text);
    }
    *slash = '\0';
    const char *partition = slash + 1;
    if (!scn_topic_find(ctx->out, arg, &selector->topic_index)) {
        return scn_fail(ctx, node, "%s: unknown topic '%s' in '%s', expected one of: %s",
                        ctx->where, arg, text, scn_topic_names(ctx->out, names, sizeof names));
    }
    if (!scn_u32_text(partition, &selector->partition)) {
        return scn_fail(ctx, node, "%s: bad partition '%s' in '%s', expected a partition "
                        "number", ctx->where, partition, text);
    }
    const scn_topic *topic = &ctx->out->topics[selector->topic_index];
    if (selector->partition >= topic->partition_count) {
        return scn_fail(ctx, node, "%s: partition %s in '%s' is out of range, expected 0..%u "
                        "(topic '%s' has %u partitions)", ctx->where, partition, text,
                        (unsigned)topic->partition_count - 1, topic->name,
                        (unsigned)topic->partition_count);
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
        return scn_fail(ctx, node, "%s: unknown %s '%s' in '%s', expected one of: %s",
                        ctx->where, producer ? "producer" : "consumer group", arg, text,
                        scn_join_names(first, stride, entries, names, sizeof names));
    }
    selector->all_instances = slash == NULL;
    if (slash == NULL) {
        return true;
    }
    uint32_t count = producer ? scn->producers[selector->index].count
                              : scn->consumers[selector->index].count;
    if (!scn_u32_text(slash + 1, &selector->instance)) {
        return scn_selector_bad(ctx, node, text);
    }
    if (selector->instance >= count) {
        return scn_fail(ctx, node, "%s: instance %s in '%s' is out of range, expected 0..%u "
                        "(count is %u)", ctx->where, slash + 1, text, (unsigned)count - 1,
                        (unsigned)count);
    }
    return true;
}

static bool scn_selector_parse(scn_ctx *ctx, yaml_node_t *node, scn_selector *selector)
{
    scn_call call;
    const scn_selector_form *form = NULL;
    const char *text = scn_scalar_get(ctx, node, SCN_SELECTOR_DESC);
    if (text == NULL) {
        return false;
    }
    if (scn_call_parse(text, &call)) {
        form = scn_selector_form_find(&call);
    }
    if (form == NULL) {
        return scn_selector_bad(ctx, node, text);
    }
    memset(selector, 0, sizeof *selector);
    selector->kind = form->kind;
    selector->mark = scn_mark_of(node);
    switch (form->kind) {
    case SCN_SEL_BROKER: return scn_selector_broker(ctx, node, text, call.args[0], selector);
    case SCN_SEL_LEADER: return scn_selector_leader(ctx, node, text, call.args[0], selector);
    case SCN_SEL_PRODUCER:
    case SCN_SEL_CONSUMER: return scn_selector_client(ctx, node, text, call.args[0], selector);
    default: return true;
    }
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
    if (selector->kind != SCN_SEL_BROKER && selector->kind != SCN_SEL_ALL_BROKERS &&
        selector->kind != SCN_SEL_LEADER) {
        return scn_fail(ctx, node, "%s: '%s' is not a broker, expected broker(N), brokers or "
                        "leader(TOPIC/PARTITION)", ctx->where,
                        (const char *)node->data.scalar.value);
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
        return scn_fail(ctx, node, "%s: '%s' is not a consumer, expected consumer(GROUP/I), "
                        "consumer(GROUP) or consumers", ctx->where,
                        (const char *)node->data.scalar.value);
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
    scn_node_set *sides[2] = { &fault->side_a, &fault->side_b };
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
    { SCN_AT("from", SCN_T_CUSTOM, scn_fault, side_a), .parse = scn_node_set_parse,
      .desc = "a sequence of selectors", .required = true },
    { SCN_AT("to", SCN_T_CUSTOM, scn_fault, side_b), .parse = scn_node_set_parse,
      .desc = "a sequence of selectors", .required = true },
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
        return scn_fail(ctx, node, "%s: got %s, expected [[SELECTORS], [SELECTORS]] or "
                        "{from: [SELECTORS], to: [SELECTORS]}", ctx->where,
                        scn_node_kind(node));
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
        return scn_fail(ctx, node, "%s: bad probability '%s', expected a decimal number in "
                        "(0, 1] such as 0.05", ctx->where, text);
    }
    if (!(value > 0.0 && value <= 1.0)) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected a probability in (0, 1]",
                        ctx->where, text);
    }
    *(double *)target = value;
    return true;
}

static const scn_field scn_lossy_fields[] = {
    { SCN_CUSTOM("between", scn_between_parse, "[[SELECTORS], [SELECTORS]]"), .required = true },
    { SCN_AT("drop", SCN_T_CUSTOM, scn_fault, drop_probability), .parse = scn_probability_parse,
      .desc = "a probability in (0, 1]", .required = true },
};
static const scn_schema scn_lossy_schema = SCN_SCHEMA(scn_lossy_fields, NULL);

static const scn_field scn_slow_link_fields[] = {
    { SCN_CUSTOM("between", scn_between_parse, "[[SELECTORS], [SELECTORS]]"), .required = true },
    { SCN_AT("latency", SCN_T_DURATION, scn_fault, extra_latency_us), .min = 1,
      .max = SCN_DURATION_MAX_US, .required = true },
};
static const scn_schema scn_slow_link_schema = SCN_SCHEMA(scn_slow_link_fields, NULL);

static bool scn_fault_check(scn_ctx *ctx, const scn_seen *seen, void *base);

#define SCN_FAULT_TARGET(key_, fn_, desc_) \
    { SCN_AT(key_, SCN_T_CUSTOM, scn_fault, target), .parse = (fn_), .desc = (desc_) }

/* The first four keys are the extras of scn_fault_forms; the rest are the kind keys. */
static const scn_field scn_fault_fields[] = {
    { SCN_AT("at", SCN_T_DURATION, scn_fault, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
      .required = true },
    { SCN_AT("for", SCN_T_DURATION, scn_fault, for_us), .min = 1, .max = SCN_DURATION_MAX_US },
    { SCN_AT("restart_after", SCN_T_DURATION, scn_fault, restart_after_us), .min = 0,
      .max = SCN_DURATION_MAX_US },
    { SCN_AT("factor", SCN_T_U32, scn_fault, factor), .min = 2, .max = 1000 },
    SCN_FAULT_TARGET("crash", scn_target_any_parse, "a selector"),
    SCN_FAULT_TARGET("kill9", scn_target_any_parse, "a selector"),
    SCN_FAULT_TARGET("restart", scn_target_any_parse, "a selector"),
    { SCN_CUSTOM("partition", scn_partition_parse, "[[SELECTORS], [SELECTORS]]") },
    { SCN_CUSTOM("heal", scn_heal_parse, "all") },
    { .key = "lossy_link", .type = SCN_T_MAP, .offset = 0, .schema = &scn_lossy_schema },
    { .key = "slow_link", .type = SCN_T_MAP, .offset = 0, .schema = &scn_slow_link_schema },
    SCN_FAULT_TARGET("slow_disk", scn_target_broker_parse, "a broker selector"),
    SCN_FAULT_TARGET("disk_full", scn_target_broker_parse, "a broker selector"),
    SCN_FAULT_TARGET("stall", scn_target_consumer_parse, "a consumer selector"),
};
static const scn_schema scn_fault_schema = SCN_SCHEMA(scn_fault_fields, scn_fault_check);

/* Bit i stands for scn_fault_fields[i]: the extras are fields 1..3 of that table. */
#define SCN_FAULT_EXTRAS 4u          /* at, for, restart_after, factor */
#define SCN_EXTRA_FOR (1u << 1)
#define SCN_EXTRA_RESTART_AFTER (1u << 2)
#define SCN_EXTRA_FACTOR (1u << 3)

/* Per kind (in scn_fault_kind order): extras allowed and required besides `at`. */
typedef struct scn_fault_form {
    const char *key;
    scn_fault_kind kind;
    unsigned extras;
    unsigned extras_required;
} scn_fault_form;

static const scn_fault_form scn_fault_forms[] = {
    { "crash", SCN_FAULT_CRASH, SCN_EXTRA_RESTART_AFTER, 0 },
    { "kill9", SCN_FAULT_KILL9, SCN_EXTRA_RESTART_AFTER, 0 },
    { "restart", SCN_FAULT_RESTART, 0, 0 },
    { "partition", SCN_FAULT_PARTITION, SCN_EXTRA_FOR, 0 },
    { "heal", SCN_FAULT_HEAL, 0, 0 },
    { "lossy_link", SCN_FAULT_LOSSY_LINK, SCN_EXTRA_FOR, 0 },
    { "slow_link", SCN_FAULT_SLOW_LINK, SCN_EXTRA_FOR, 0 },
    { "slow_disk", SCN_FAULT_SLOW_DISK, SCN_EXTRA_FOR | SCN_EXTRA_FACTOR, SCN_EXTRA_FACTOR },
    { "disk_full", SCN_FAULT_DISK_FULL, SCN_EXTRA_FOR, 0 },
    { "stall", SCN_FAULT_STALL, SCN_EXTRA_FOR, 0 },
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
            return scn_fail(ctx, later ? key : form_key, "%s: two fault kinds '%s' and '%s', "
                            "expected exactly one of: %s", ctx->where, first->key,
                            later ? scn_fault_forms[i].key : form->key,
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
            return scn_fail(ctx, seen->keys[i], "%s.%s: does not apply to a %s fault, expected "
                            "only: %s", ctx->where, key, form->key, allowed);
        }
        if (seen->keys[i] == NULL && (form->extras_required & (1u << i)) != 0) {
            return scn_fail(ctx, seen->map, "missing required key '%s' %s, expected %s: an "
                            "integer in %lld..%lld", key, scn_in(ctx), key,
                            (long long)scn_fault_fields[i].min,
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
        return scn_fail(ctx, scn_seen_value(seen, "at"), "%s.at: %s is not before the end of "
                        "the run, expected at < duration (%s)", ctx->where,
                        units_format_duration(fault->at_us, at, sizeof at),
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

/* `max` or an integer. */
static bool scn_retries_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    const char *text = scn_scalar_get(ctx, node, "an integer or max");
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (strcmp(text, "max") == 0) {
        *(uint32_t *)target = SCN_RETRIES_MAX;
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

/* N of uniform(N), sequential(N), zipf(N, S). */
static bool scn_keys_count(scn_ctx *ctx, yaml_node_t *node, const char *text, const char *arg,
                           uint32_t *out)
{
    if (!scn_u32_text(arg, out)) {
        return scn_fail(ctx, node, "%s: bad key count '%s' in '%s', expected an integer in "
                        "1..%d", ctx->where, arg, text, SCN_KEYS_COUNT_MAX);
    }
    if (*out < 1 || *out > SCN_KEYS_COUNT_MAX) {
        return scn_fail(ctx, node, "%s: key count %s in '%s' is out of range, expected 1..%d",
                        ctx->where, arg, text, SCN_KEYS_COUNT_MAX);
    }
    return true;
}

static bool scn_keys_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const char *const names[] = { "none", "uniform", "sequential", "zipf" };
    static const uint32_t arities[] = { 0, 1, 1, 2 };
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
        return scn_fail(ctx, node, "%s: bad key distribution '%s', expected %s%s",
                        ctx->where, text, SCN_KEYS_DESC, scn_comma_hint(text));
    }
    keys->kind = (scn_keys_kind)kind;
    keys->count = 0;
    keys->zipf_s = 0.0;
    if (kind != SCN_KEYS_NONE && !scn_keys_count(ctx, node, text, call.args[0], &keys->count)) {
        return false;
    }
    if (kind == SCN_KEYS_ZIPF &&
        (!scn_decimal_text(call.args[1], &keys->zipf_s) || keys->zipf_s <= 0.0 ||
         keys->zipf_s > SCN_ZIPF_S_MAX)) {
        return scn_fail(ctx, node, "%s: bad zipf exponent '%s' in '%s', expected a decimal "
                        "number in (0, 100] such as 1.1", ctx->where, call.args[1], text);
    }
    return true;
}

/* One duration argument of a distribution, 0..30d. */
static bool scn_dist_arg(scn_ctx *ctx, yaml_node_t *node, const char *text, const char *arg,
                         int64_t *out)
{
    char why[UNITS_WHY_LEN];
    if (!units_parse_duration_us(arg, out, why)) {
        return scn_fail(ctx, node, "%s: bad duration '%s' in '%s', %s", ctx->where, arg, text,
                        why);
    }
    if (*out > SCN_DURATION_MAX_US) {
        return scn_fail(ctx, node, "%s: %s in '%s' is out of range, expected 0s..30d",
                        ctx->where, arg, text);
    }
    return true;
}

static bool scn_dist_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const char *const names[] = { "const", "exp", "uniform", "normal" };
    static const uint32_t arities[] = { 1, 1, 2, 2 };
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
        return scn_fail(ctx, node, "%s: bad distribution '%s', expected %s%s", ctx->where,
                        text, SCN_DIST_DESC, scn_comma_hint(text));
    }
    dist->kind = (scn_dist_kind)kind;
    if (!scn_dist_arg(ctx, node, text, call.args[0], &dist->a_us) ||
        (arities[kind] == 2 && !scn_dist_arg(ctx, node, text, call.args[1], &dist->b_us))) {
        return false;
    }
    if (dist->kind == SCN_DIST_EXP && dist->a_us == 0) {
        return scn_fail(ctx, node, "%s: mean 0 in '%s', expected a mean above 0", ctx->where,
                        text);
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
        .what = "call", .parse = scn_dist_parse, .item_size = sizeof(scn_dist),
        .item_max = SCN_CALLS_MAX, .mark_offset = SIZE_MAX,
    };
    scn_request *request = target;
    return scn_list_parse(ctx, node, &list, request->calls, &request->call_count);
}

static bool scn_request_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    const scn_request *request = base;
    if (request->publish && request->call_count > 0) {
        return scn_fail(ctx, scn_seen_value(seen, "publish"), "%s: both calls and publish: "
                        "true, expected either calls or publish: true", ctx->where);
    }
    return true;
}

static const scn_field scn_request_fields[] = {
    { SCN_AT("local", SCN_T_DURATION, scn_request, local_us), .min = 0,
      .max = SCN_DURATION_MAX_US },
    { SCN_CUSTOM("calls", scn_calls_parse, "a sequence of distributions") },
    { SCN_AT("publish", SCN_T_BOOL, scn_request, publish) },
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
        return scn_fail(ctx, scn_seen_value(seen, "at"), "%s.at: %s is not before the end of "
                        "the run, expected at < duration (%s)", ctx->where,
                        units_format_duration(at_us, at, sizeof at),
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
    { SCN_AT("at", SCN_T_DURATION, scn_spike, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
      .required = true },
    { SCN_AT("for", SCN_T_DURATION, scn_spike, for_us), .min = 1, .max = SCN_DURATION_MAX_US,
      .required = true },
    { SCN_AT("rate", SCN_T_RATE, scn_spike, rate_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
      .required = true },
};
static const scn_schema scn_spike_schema = SCN_SCHEMA(scn_spike_fields, scn_spike_check);

static const scn_field scn_ramp_fields[] = {
    { SCN_AT("at", SCN_T_DURATION, scn_ramp, at_us), .min = 0, .max = SCN_DURATION_MAX_US,
      .required = true },
    { SCN_AT("for", SCN_T_DURATION, scn_ramp, for_us), .min = 1, .max = SCN_DURATION_MAX_US,
      .required = true },
    { SCN_AT("to", SCN_T_RATE, scn_ramp, to_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
      .required = true },
};
static const scn_schema scn_ramp_schema = SCN_SCHEMA(scn_ramp_fields, scn_ramp_check);

static bool scn_spikes_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "spike", .schema = &scn_spike_schema, .item_size = sizeof(scn_spike),
        .item_max = SCN_SPIKES_MAX, .mark_offset = SIZE_MAX,
    };
    scn_rate *rate = target;
    return scn_list_parse(ctx, node, &list, rate->spikes, &rate->spike_count);
}

static bool scn_ramps_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "ramp", .schema = &scn_ramp_schema, .item_size = sizeof(scn_ramp),
        .item_max = SCN_RAMPS_MAX, .mark_offset = SIZE_MAX,
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
                return scn_fail(ctx, scn_seq_item(ctx, node, j), "%s[%u]: overlaps ramps[%u] "
                                "(%s..%s), expected ramps that do not overlap", ctx->where,
                                (unsigned)j, (unsigned)i,
                                units_format_duration(earlier->at_us, a, sizeof a),
                                units_format_duration(earlier->at_us + earlier->for_us, b,
                                                      sizeof b));
            }
        }
    }
    return true;
}

static const scn_field scn_rate_fields[] = {
    { SCN_AT("base", SCN_T_RATE, scn_rate, base_per_s), .min = 0, .max = SCN_RATE_MAX_PER_S,
      .required = true },
    { SCN_CUSTOM("spikes", scn_spikes_parse, "a sequence of {at, for, rate}") },
    { SCN_CUSTOM("ramps", scn_ramps_parse, "a sequence of {at, for, to}") },
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

/* delivery_timeout >= linger + request_timeout (Kafka refuses the config otherwise). */
static bool scn_producer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    static const char *const keys[] = { "delivery_timeout", "request_timeout", "linger", NULL };
    char delivery[32];
    char sum[32];
    const scn_producer *producer = base;
    if (!scn_topic_ref_check(ctx, seen)) {
        return false;
    }
    int64_t minimum_us = producer->linger_us + producer->request_timeout_us;
    if (producer->delivery_timeout_us < minimum_us) {
        return scn_fail(ctx, scn_seen_first(seen, keys), "%s: delivery_timeout %s is below "
                        "linger + request_timeout (%s), expected delivery_timeout >= linger + "
                        "request_timeout", ctx->where,
                        units_format_duration(producer->delivery_timeout_us, delivery,
                                              sizeof delivery),
                        units_format_duration(minimum_us, sum, sizeof sum));
    }
    return true;
}

/* ---------------------------------------------------------------- consumers */

/* heartbeat_interval < session_timeout; commit_interval only with commit: auto. */
static bool scn_consumer_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    static const char *const keys[] = { "heartbeat_interval", "session_timeout", NULL };
    char heartbeat[32];
    char session[32];
    const scn_consumer *consumer = base;
    if (!scn_topic_ref_check(ctx, seen)) {
        return false;
    }
    if (consumer->heartbeat_interval_us >= consumer->session_timeout_us) {
        return scn_fail(ctx, scn_seen_first(seen, keys), "%s: heartbeat_interval %s is not "
                        "below session_timeout %s, expected heartbeat_interval < "
                        "session_timeout", ctx->where,
                        units_format_duration(consumer->heartbeat_interval_us, heartbeat,
                                              sizeof heartbeat),
                        units_format_duration(consumer->session_timeout_us, session,
                                              sizeof session));
    }
    yaml_node_t *interval = scn_seen_value(seen, "commit_interval");
    if (interval != NULL && consumer->commit != SCN_COMMIT_AUTO) {
        return scn_fail(ctx, interval, "%s.commit_interval: only applies to commit: auto, "
                        "expected no commit_interval with commit: %s", ctx->where,
                        (const char *)scn_seen_value(seen, "commit")->data.scalar.value);
    }
    return true;
}

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
    if (strcmp(kind, "always") != 0 && strcmp(kind, "sometimes") != 0) {
        return scn_fail(ctx, key, "%s: unknown expectation kind '%s', expected always or "
                        "sometimes", ctx->where, kind);
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
    if (style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE) {
        expect->mark.column++; /* the first character of the expression, after the quote */
    }
    return true;
}

/* ---------------------------------------------------------------- top level */

static const char *const scn_preset_names[] = { "kafka", NULL };
static const char *const scn_arrival_names[] = { "constant", "poisson", NULL };
static const char *const scn_network_model_names[] = { "engine", "simgrid", NULL };
static const char *const scn_acks_names[] = { "0", "1", "all", NULL };
static const char *const scn_commit_names[] = { "auto", "after_processing",
                                                "before_processing", NULL };
static const char *const scn_routing_names[] = { "shared", "key_hash", NULL };
static const char *const scn_reset_names[] = { "latest", "earliest", NULL };

_Static_assert(sizeof(scn_preset) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_arrival) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_acks) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_commit) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_worker_routing) == sizeof(int), "enums are written as int");
_Static_assert(sizeof(scn_offset_reset) == sizeof(int), "enums are written as int");
_Static_assert(SCN_FAULTS_MAX <= UINT16_MAX, "fault order fits uint16_t");

static bool scn_replication_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    const char *text = scn_scalar_get(ctx, node, "1");
    bool negative = false;
    bool overflow = false;
    uint64_t value = 0;
    if (text == NULL) {
        return false;
    }
    if (!scn_int_text(text, &negative, &value, &overflow)) {
        return scn_fail(ctx, node, "%s: bad integer '%s', expected 1", ctx->where, text);
    }
    if (negative || overflow || value != 1) {
        return scn_fail(ctx, node, "%s: replication is not supported yet; expected 1",
                        ctx->where);
    }
    *(uint32_t *)target = 1;
    return true;
}

static const scn_field scn_topic_fields[] = {
    { SCN_AT("name", SCN_T_IDENT, scn_topic, name), .required = true },
    { SCN_AT("partitions", SCN_T_U32, scn_topic, partition_count), .min = 1,
      .max = SCN_PARTITIONS_MAX },
    { SCN_AT("replication_factor", SCN_T_CUSTOM, scn_topic, replication_factor),
      .parse = scn_replication_parse, .desc = "1" },
    { SCN_AT("retention", SCN_T_DURATION, scn_topic, retention_us), .min = 0,
      .max = 3650 * SCN_DAY_US },
    { SCN_AT("retention_bytes", SCN_T_SIZE, scn_topic, retention_bytes), .min = 0,
      .max = SCN_SIZE_MAX_BYTES },
};
static const scn_schema scn_topic_schema = SCN_SCHEMA(scn_topic_fields, NULL);

#define SCN_DURATION_FIELD(key_, struct_, member_, min_) \
    { SCN_AT(key_, SCN_T_DURATION, struct_, member_), .min = (min_), .max = SCN_DURATION_MAX_US }

static const scn_field scn_producer_fields[] = {
    { SCN_AT("name", SCN_T_IDENT, scn_producer, name), .required = true },
    { SCN_AT("topic", SCN_T_CUSTOM, scn_producer, topic_index), .parse = scn_topic_ref_parse,
      .desc = "a topic name" },
    { SCN_AT("count", SCN_T_U32, scn_producer, count), .min = 1, .max = SCN_INSTANCES_MAX },
    { SCN_AT("rate", SCN_T_CUSTOM, scn_producer, rate), .parse = scn_rate_parse,
      .desc = "a rate such as 1000/s or {base, spikes, ramps}", .required = true },
    { SCN_AT("arrival", SCN_T_ENUM, scn_producer, arrival), .names = scn_arrival_names },
    { SCN_AT("keys", SCN_T_CUSTOM, scn_producer, keys), .parse = scn_keys_parse,
      .desc = SCN_KEYS_DESC },
    { SCN_AT("message_size", SCN_T_SIZE, scn_producer, message_size_bytes), .min = 1,
      .max = 10 * 1024 * 1024 },
    { SCN_AT("acks", SCN_T_ENUM, scn_producer, acks), .names = scn_acks_names },
    { SCN_AT("retries", SCN_T_CUSTOM, scn_producer, retries), .parse = scn_retries_parse,
      .desc = "an integer or max" },
    SCN_DURATION_FIELD("retry_backoff", scn_producer, retry_backoff_us, 0),
    SCN_DURATION_FIELD("retry_backoff_max", scn_producer, retry_backoff_max_us, 0),
    SCN_DURATION_FIELD("request_timeout", scn_producer, request_timeout_us, 1),
    SCN_DURATION_FIELD("delivery_timeout", scn_producer, delivery_timeout_us, 1),
    { SCN_AT("max_in_flight", SCN_T_U32, scn_producer, max_in_flight), .min = 1, .max = 100 },
    SCN_DURATION_FIELD("linger", scn_producer, linger_us, 0),
    { SCN_AT("batch_size", SCN_T_SIZE, scn_producer, batch_size_bytes), .min = 1,
      .max = 1024LL * 1024 * 1024 },
    { SCN_AT("buffer_memory", SCN_T_SIZE, scn_producer, buffer_memory_bytes), .min = 1,
      .max = 1024LL * 1024 * 1024 * 1024 },
    { SCN_AT("request", SCN_T_CUSTOM, scn_producer, request), .parse = scn_request_parse,
      .desc = "a mapping {local, calls, publish}" },
};
static const scn_schema scn_producer_schema = SCN_SCHEMA(scn_producer_fields,
                                                         scn_producer_check);

static const scn_field scn_consumer_fields[] = {
    { SCN_AT("group", SCN_T_IDENT, scn_consumer, group), .required = true },
    { SCN_AT("topic", SCN_T_CUSTOM, scn_consumer, topic_index), .parse = scn_topic_ref_parse,
      .desc = "a topic name" },
    { SCN_AT("count", SCN_T_U32, scn_consumer, count), .min = 1, .max = SCN_INSTANCES_MAX },
    { SCN_AT("commit", SCN_T_ENUM, scn_consumer, commit), .names = scn_commit_names },
    SCN_DURATION_FIELD("commit_interval", scn_consumer, commit_interval_us, 1),
    { SCN_AT("processing", SCN_T_CUSTOM, scn_consumer, processing), .parse = scn_dist_parse,
      .desc = SCN_DIST_DESC },
    { SCN_AT("buffer", SCN_T_U32, scn_consumer, buffer_messages), .min = 0, .max = 1000000 },
    { SCN_AT("workers", SCN_T_U32, scn_consumer, workers), .min = 1, .max = SCN_WORKERS_MAX },
    { SCN_AT("worker_routing", SCN_T_ENUM, scn_consumer, routing), .names = scn_routing_names },
    { SCN_AT("dedup", SCN_T_BOOL, scn_consumer, dedup) },
    SCN_DURATION_FIELD("session_timeout", scn_consumer, session_timeout_us, 1),
    SCN_DURATION_FIELD("heartbeat_interval", scn_consumer, heartbeat_interval_us, 1),
    { SCN_AT("max_poll_records", SCN_T_U32, scn_consumer, max_poll_records), .min = 1,
      .max = 100000 },
    SCN_DURATION_FIELD("fetch_max_wait", scn_consumer, fetch_max_wait_us, 0),
    { SCN_AT("fetch_min_bytes", SCN_T_SIZE, scn_consumer, fetch_min_bytes), .min = 1,
      .max = 1024LL * 1024 * 1024 },
    { SCN_AT("fetch_max_bytes", SCN_T_SIZE, scn_consumer, fetch_max_bytes), .min = 1,
      .max = 1024LL * 1024 * 1024 },
    { SCN_AT("auto_offset_reset", SCN_T_ENUM, scn_consumer, offset_reset),
      .names = scn_reset_names },
};
static const scn_schema scn_consumer_schema = SCN_SCHEMA(scn_consumer_fields,
                                                         scn_consumer_check);

static void scn_topic_init(void *item)
{
    scn_topic *topic = item;
    topic->partition_count = 1;
    topic->replication_factor = 1;
    topic->retention_us = 7 * SCN_DAY_US;
    topic->retention_bytes = 0;
}

static void scn_producer_init(void *item)
{
    scn_producer *producer = item;
    producer->count = 1;
    producer->arrival = SCN_ARRIVAL_CONSTANT;
    producer->keys.kind = SCN_KEYS_NONE;
    producer->message_size_bytes = 1024;
    producer->acks = SCN_ACKS_ALL;
    producer->retries = SCN_RETRIES_MAX;
    producer->retry_backoff_us = 100 * 1000;
    producer->retry_backoff_max_us = 1 * SCN_S_US;
    producer->request_timeout_us = 30 * SCN_S_US;
    producer->delivery_timeout_us = 120 * SCN_S_US;
    producer->max_in_flight = 5;
    producer->linger_us = 5 * 1000;
    producer->batch_size_bytes = 16 * 1024;
    producer->buffer_memory_bytes = 32 * 1024 * 1024;
}

static void scn_consumer_init(void *item)
{
    scn_consumer *consumer = item;
    consumer->count = 1;
    consumer->commit = SCN_COMMIT_AUTO;
    consumer->commit_interval_us = 5 * SCN_S_US;
    consumer->processing.kind = SCN_DIST_CONST;
    consumer->workers = 1;
    consumer->routing = SCN_ROUTING_SHARED;
    consumer->session_timeout_us = 45 * SCN_S_US;
    consumer->heartbeat_interval_us = 3 * SCN_S_US;
    consumer->max_poll_records = 500;
    consumer->fetch_max_wait_us = 500 * 1000;
    consumer->fetch_min_bytes = 1;
    consumer->fetch_max_bytes = 1024 * 1024;
    consumer->offset_reset = SCN_RESET_LATEST;
}

static bool scn_topics_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "topic", .schema = &scn_topic_schema, .init = scn_topic_init,
        .item_size = sizeof(scn_topic), .item_max = SCN_TOPICS_MAX,
        .mark_offset = offsetof(scn_topic, mark), .name_key = "name",
        .name_offset = offsetof(scn_topic, name), .nonempty = true,
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->topics, &scenario->topic_count);
}

static bool scn_producers_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "producer", .schema = &scn_producer_schema, .init = scn_producer_init,
        .item_size = sizeof(scn_producer), .item_max = SCN_PRODUCERS_MAX,
        .mark_offset = offsetof(scn_producer, mark), .name_key = "name",
        .name_offset = offsetof(scn_producer, name),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->producers, &scenario->producer_count);
}

static bool scn_consumers_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "consumer group", .schema = &scn_consumer_schema, .init = scn_consumer_init,
        .item_size = sizeof(scn_consumer), .item_max = SCN_GROUPS_MAX,
        .mark_offset = offsetof(scn_consumer, mark), .name_key = "group",
        .name_offset = offsetof(scn_consumer, group),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->consumers, &scenario->consumer_count);
}

static bool scn_faults_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "fault", .parse = scn_fault_parse, .init = scn_fault_init,
        .item_size = sizeof(scn_fault), .item_max = SCN_FAULTS_MAX,
        .mark_offset = offsetof(scn_fault, mark),
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->faults, &scenario->fault_count);
}

static bool scn_expects_parse(scn_ctx *ctx, yaml_node_t *node, void *target)
{
    static const scn_list list = {
        .what = "expectation", .parse = scn_expect_parse, .item_size = sizeof(scn_expect),
        .item_max = SCN_EXPECT_MAX, .mark_offset = SIZE_MAX,
    };
    scn_scenario *scenario = target;
    return scn_list_parse(ctx, node, &list, scenario->expects, &scenario->expect_count);
}

static const scn_field scn_network_fields[] = {
    { SCN_AT("latency", SCN_T_DURATION, scn_network, latency_us), .min = 0,
      .max = 10 * SCN_S_US },
    { SCN_AT("bandwidth", SCN_T_BANDWIDTH, scn_network, bandwidth_bytes_per_s) },
    { SCN_AT("model", SCN_T_ENUM, scn_network, model), .names = scn_network_model_names },
    { SCN_AT("platform", SCN_T_TEXT, scn_network, platform), .max = SCN_PATH_LEN - 1 },
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
    static const char *const star_keys[] = { "latency", "bandwidth", NULL };
    for (const char *const *key = star_keys; *key != NULL; key++) {
        yaml_node_t *value = scn_seen_value(seen, *key);
        if (value != NULL) {
            return scn_fail(ctx, value, "%s.%s: the platform file sets the links, expected no %s "
                            "with network.platform", ctx->where, *key, *key);
        }
    }
    if (network->platform[0] == '\0') {
        return scn_fail(ctx, platform, "%s.platform: empty, expected a SimGrid platform file", ctx->where);
    }
    char resolved[SCN_PATH_LEN];
    const char *slash = strrchr(ctx->path, '/');
    int length = network->platform[0] == '/' || slash == NULL
                     ? snprintf(resolved, sizeof resolved, "%s", network->platform)
                     : snprintf(resolved, sizeof resolved, "%.*s/%s", (int)(slash - ctx->path), ctx->path,
                                network->platform);
    if (length < 0 || (size_t)length >= sizeof resolved) {
        return scn_fail(ctx, platform, "%s.platform: the path is too long, expected at most %d characters",
                        ctx->where, SCN_PATH_LEN - 1);
    }
    FILE *file = fopen(resolved, "r");
    if (file == NULL) {
        return scn_fail(ctx, platform, "%s.platform: cannot open %s: %s", ctx->where, resolved, strerror(errno));
    }
    fclose(file);
    memcpy(network->platform, resolved, (size_t)length + 1);
    network->platform_mark = scn_mark_of(platform);
    return true;
}
static const scn_schema scn_network_schema = SCN_SCHEMA(scn_network_fields, scn_network_check);

static const scn_field scn_disk_fields[] = {
    { SCN_AT("write_bandwidth", SCN_T_BANDWIDTH, scn_disk, write_bandwidth_bytes_per_s) },
    { SCN_AT("fsync_latency", SCN_T_DURATION, scn_disk, fsync_latency_us), .min = 0,
      .max = 3600 * SCN_S_US },
    { SCN_AT("capacity", SCN_T_SIZE, scn_disk, capacity_bytes), .min = 0,
      .max = SCN_SIZE_MAX_BYTES },
};
static const scn_schema scn_disk_schema = SCN_SCHEMA(scn_disk_fields, NULL);

static const scn_field scn_os_fields[] = {
    SCN_DURATION_FIELD("dirty_expire", scn_os, dirty_expire_us, 1),
    SCN_DURATION_FIELD("writeback_interval", scn_os, writeback_interval_us, 1),
};
static const scn_schema scn_os_schema = SCN_SCHEMA(scn_os_fields, NULL);

static const scn_field scn_flush_fields[] = {
    { SCN_AT("messages", SCN_T_U64, scn_flush, messages) },
    SCN_DURATION_FIELD("interval", scn_flush, interval_us, 0),
};
static const scn_schema scn_flush_schema = SCN_SCHEMA(scn_flush_fields, NULL);

static bool scn_cluster_check(scn_ctx *ctx, const scn_seen *seen, void *base)
{
    (void)ctx;
    ((scn_cluster *)base)->mark = scn_mark_of(seen->map);
    return true;
}

static const scn_field scn_cluster_fields[] = {
    { SCN_AT("preset", SCN_T_ENUM, scn_cluster, preset), .names = scn_preset_names,
      .required = true },
    { SCN_AT("brokers", SCN_T_U32, scn_cluster, broker_count), .min = 1,
      .max = SCN_BROKERS_MAX },
    { SCN_AT("network", SCN_T_MAP, scn_cluster, network), .schema = &scn_network_schema },
    { SCN_AT("disk", SCN_T_MAP, scn_cluster, disk), .schema = &scn_disk_schema },
    { SCN_AT("page_cache", SCN_T_SIZE, scn_cluster, os.page_cache_bytes), .min = 1,
      .max = SCN_SIZE_MAX_BYTES },
    { SCN_AT("os", SCN_T_MAP, scn_cluster, os), .schema = &scn_os_schema },
    { SCN_AT("flush", SCN_T_MAP, scn_cluster, flush), .schema = &scn_flush_schema },
};
static const scn_schema scn_cluster_schema = SCN_SCHEMA(scn_cluster_fields, scn_cluster_check);

static const scn_field scn_check_fields[] = {
    SCN_DURATION_FIELD("unavailable_after", scn_scenario, unavailable_after_us, 1),
};
static const scn_schema scn_check_schema = SCN_SCHEMA(scn_check_fields, NULL);

/* Table order is parse order: duration before faults, cluster and topics before the
 * producers, consumers and faults that refer to them. */
static const scn_field scn_scenario_fields[] = {
    { SCN_AT("name", SCN_T_NAME, scn_scenario, name), .required = true },
    { SCN_AT("description", SCN_T_TEXT, scn_scenario, description), .max = SCN_TEXT_LEN - 1 },
    { SCN_AT("seed", SCN_T_U64, scn_scenario, seed) },
    { SCN_AT("duration", SCN_T_DURATION, scn_scenario, duration_us), .min = SCN_S_US,
      .max = SCN_DURATION_MAX_US, .required = true },
    SCN_DURATION_FIELD("drain", scn_scenario, drain_us, 0),
    { .key = "check", .type = SCN_T_MAP, .offset = 0, .schema = &scn_check_schema },
    { SCN_AT("cluster", SCN_T_MAP, scn_scenario, cluster), .schema = &scn_cluster_schema,
      .required = true },
    { SCN_CUSTOM("topics", scn_topics_parse, "a sequence of topics"), .required = true },
    { SCN_CUSTOM("producers", scn_producers_parse, "a sequence of producers") },
    { SCN_CUSTOM("consumers", scn_consumers_parse, "a sequence of consumer groups") },
    { SCN_CUSTOM("faults", scn_faults_parse, "a sequence of faults") },
    { SCN_CUSTOM("expect", scn_expects_parse, "a sequence of expectations") },
};
static const scn_schema scn_scenario_schema = SCN_SCHEMA(scn_scenario_fields, NULL);

static void scn_scenario_init(scn_scenario *scenario, const char *path)
{
    memset(scenario, 0, sizeof *scenario);
    snprintf(scenario->path, sizeof scenario->path, "%s", path);
    scenario->seed = 1;
    scenario->drain_us = 60 * SCN_S_US;
    scenario->unavailable_after_us = 1 * SCN_S_US;
    scn_cluster *cluster = &scenario->cluster;
    cluster->preset = SCN_PRESET_KAFKA;
    cluster->broker_count = 3;
    cluster->network.latency_us = 500;
    cluster->network.bandwidth_bytes_per_s = 1000ULL * 1000 * 1000 / 8;
    cluster->network.model = SCN_NETWORK_ENGINE;
    cluster->disk.write_bandwidth_bytes_per_s = 500ULL * 1000 * 1000;
    cluster->disk.fsync_latency_us = 2 * 1000;
    cluster->disk.capacity_bytes = 0;
    cluster->os.page_cache_bytes = 16ULL * 1024 * 1024 * 1024;
    cluster->os.dirty_expire_us = 30 * SCN_S_US;
    cluster->os.writeback_interval_us = 5 * SCN_S_US;
    cluster->flush.messages = 0;
    cluster->flush.interval_us = 0;
}

/* ---------------------------------------------------------------- documents */

/* 1-based line and column of a byte offset (reader errors carry only the offset). */
static yaml_mark_t scn_offset_mark(const unsigned char *data, size_t length, size_t offset)
{
    yaml_mark_t mark = { offset, 0, 0 };
    for (size_t i = 0; i < offset && i < length; i++) {
        mark.line += data[i] == '\n' ? 1 : 0;
        mark.column = data[i] == '\n' ? 0 : mark.column + 1;
    }
    return mark;
}

static int scn_syntax_error(scn_ctx *ctx, const yaml_parser_t *parser,
                            const unsigned char *data, size_t length)
{
    yaml_node_t at;
    memset(&at, 0, sizeof at);
    at.start_mark = parser->error == YAML_READER_ERROR
                        ? scn_offset_mark(data, length, parser->problem_offset)
                        : parser->problem_mark;
    const char *problem = parser->problem != NULL ? parser->problem : "cannot parse";
    if (parser->context != NULL) {
        scn_fail(ctx, &at, "YAML syntax error: %s (%s at line %lu, column %lu), expected "
                 "well-formed YAML", problem, parser->context,
                 (unsigned long)parser->context_mark.line + 1,
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
        return scn_fail(ctx, NULL, "empty scenario, expected a mapping with name, duration, "
                        "cluster and topics");
    }
    if (root->type != YAML_MAPPING_NODE) {
        return scn_fail(ctx, NULL, "the scenario is %s, expected a mapping with name, "
                        "duration, cluster and topics", scn_node_kind(root));
    }
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

static int scn_load_bytes(const char *path, const unsigned char *data, size_t length,
                          scn_scenario *out, char error[SCN_ERROR_LEN])
{
    BL_ASSERT(path != NULL && out != NULL && error != NULL);
    yaml_parser_t parser;
    yaml_document_t doc;
    scn_ctx ctx = { .path = path, .doc = &doc, .out = out, .error = error };
    error[0] = '\0';
    scn_scenario_init(out, path);
    int initialized = yaml_parser_initialize(&parser);
    BL_ASSERT(initialized == 1);
    yaml_parser_set_input_string(&parser, data, length);
    if (!yaml_parser_load(&parser, &doc)) {
        int code = scn_syntax_error(&ctx, &parser, data, length);
        yaml_parser_delete(&parser);
        return code;
    }
    bool ok = scn_document_parse(&ctx, &parser);
    if (!ok && !ctx.failed) {
        scn_syntax_error(&ctx, &parser, data, length);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (!ok) {
        return BL_EXIT_BAD_INPUT;
    }
    scn_faults_sort(out);
    return BL_EXIT_OK;
}

int scn_load_string(const char *path, const char *yaml_text, scn_scenario *out,
                    char error[SCN_ERROR_LEN])
{
    BL_ASSERT(yaml_text != NULL);
    return scn_load_bytes(path, (const unsigned char *)yaml_text, strlen(yaml_text), out,
                          error);
}

static int scn_open_error(const char *path, int error_number, char error[SCN_ERROR_LEN])
{
    snprintf(error, SCN_ERROR_LEN, "%s: cannot open: %s", path, strerror(error_number));
    scn_error_one_line(error);
    return BL_EXIT_BAD_INPUT;
}

int scn_load(const char *path, scn_scenario *out, char error[SCN_ERROR_LEN])
{
    BL_ASSERT(path != NULL && out != NULL && error != NULL);
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return scn_open_error(path, errno, error);
    }
    size_t capacity = 1 << 16;
    size_t length = 0;
    unsigned char *data = malloc(capacity);
    BL_ASSERT(data != NULL);
    for (;;) {
        length += fread(data + length, 1, capacity - length, file);
        if (length < capacity) {
            break;
        }
        capacity *= 2;
        data = realloc(data, capacity);
        BL_ASSERT(data != NULL);
    }
    int read_errno = ferror(file) ? errno : 0;
    fclose(file);
    int code = read_errno != 0 ? scn_open_error(path, read_errno, error)
                               : scn_load_bytes(path, data, length, out, error);
    free(data);
    return code;
}
