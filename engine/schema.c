/* schema.c — the scenario format's generic machinery (see schema.h): errors with their
 * position, the key path, node access, scalar syntax, typed fields with their defaults,
 * mappings, sequences, and the composition of a section with a family's keys. */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"
#include "units.h"

/* ---------------------------------------------------------------- context, errors */

/* Keeps the message on one line whatever the scalars it quotes contain. */
void scn_error_one_line(char *text)
{
    for (char *c = text; *c != '\0'; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
}

/* Writes `path:line:col: message` at node's start (1:1 without a node). Always false. */
bool scn_fail(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
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

void scn_warn_parse(scn_ctx *ctx, const yaml_node_t *node, const char *fmt, ...)
{
    scn_scenario *out = ctx->out;
    BL_ASSERTF(out->parse_warning_count < SCN_PARSE_WARNINGS_MAX, "more than %u parse warnings",
               SCN_PARSE_WARNINGS_MAX);
    scn_parse_warning *warning = &out->parse_warnings[out->parse_warning_count++];
    warning->mark = (scn_mark){.line = node == NULL ? 1 : (uint32_t)node->start_mark.line + 1,
                               .column = node == NULL ? 1 : (uint32_t)node->start_mark.column + 1};
    va_list args;
    va_start(args, fmt);
    vsnprintf(warning->text, sizeof warning->text, fmt, args);
    va_end(args);
}

size_t scn_where_push_key(scn_ctx *ctx, const char *key)
{
    size_t saved = strlen(ctx->where);
    snprintf(ctx->where + saved, sizeof ctx->where - saved, "%s%s", saved == 0 ? "" : ".", key);
    return saved;
}

size_t scn_where_push_index(scn_ctx *ctx, uint32_t item)
{
    size_t saved = strlen(ctx->where);
    snprintf(ctx->where + saved, sizeof ctx->where - saved, "[%u]", (unsigned)item);
    return saved;
}

void scn_where_pop(scn_ctx *ctx, size_t saved)
{
    BL_ASSERT(saved < sizeof ctx->where);
    ctx->where[saved] = '\0';
}

/* "at the top level" or "in cluster.network", for messages about a mapping. */
const char *scn_in(scn_ctx *ctx)
{
    if (ctx->where[0] == '\0') {
        return "at the top level";
    }
    snprintf(ctx->in_where, sizeof ctx->in_where, "in %s", ctx->where);
    return ctx->in_where;
}

/* ---------------------------------------------------------------- nodes */

yaml_node_t *scn_node(const scn_ctx *ctx, int id)
{
    yaml_node_t *node = yaml_document_get_node(ctx->doc, id);
    BL_ASSERT(node != NULL);
    return node;
}

scn_mark scn_mark_of(const yaml_node_t *node)
{
    scn_mark mark = {(uint32_t)node->start_mark.line + 1, (uint32_t)node->start_mark.column + 1};
    return mark;
}

static bool scn_node_is_null(const yaml_node_t *node)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
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

const char *scn_node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a sequence";
    case YAML_SCALAR_NODE: return scn_node_is_null(node) ? "an empty value" : "a scalar";
    default: return "nothing";
    }
}

/* The node's text if it is a non-empty scalar without NUL bytes, else NULL (error). */
const char *scn_scalar_get(scn_ctx *ctx, const yaml_node_t *node, const char *desc)
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

bool scn_node_check(scn_ctx *ctx, const yaml_node_t *node, yaml_node_type_t type, const char *desc)
{
    if (node->type == type) {
        return true;
    }
    return scn_fail(ctx, node, "%s: got %s, expected %s", ctx->where, scn_node_kind(node), desc);
}

/* Value node of `key` in a mapping node, or NULL. */
yaml_node_t *scn_map_find(const scn_ctx *ctx, const yaml_node_t *map, const char *key)
{
    BL_ASSERT(map->type == YAML_MAPPING_NODE);
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *key_node = scn_node(ctx, pair->key);
        /* By length and bytes: a key with a NUL inside ("duration\0evil") is not
         * "duration". */
        if (key_node->type == YAML_SCALAR_NODE && key_node->data.scalar.length == strlen(key) &&
            memcmp(key_node->data.scalar.value, key, key_node->data.scalar.length) == 0) {
            return scn_node(ctx, pair->value);
        }
    }
    return NULL;
}

uint32_t scn_seq_length(const yaml_node_t *seq)
{
    BL_ASSERT(seq->type == YAML_SEQUENCE_NODE);
    return (uint32_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *scn_seq_item(const scn_ctx *ctx, const yaml_node_t *seq, uint32_t item)
{
    BL_ASSERT(item < scn_seq_length(seq));
    return scn_node(ctx, seq->data.sequence.items.start[item]);
}

/* ---------------------------------------------------------------- scalar syntax */

/* Decimal integer `-?(0|[1-9][0-9]*)`: sign and magnitude; *overflow if > UINT64_MAX. */
bool scn_int_text(const char *text, bool *negative, uint64_t *magnitude, bool *overflow)
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
bool scn_u32_text(const char *text, uint32_t *out)
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
bool scn_decimal_text(const char *text, double *out)
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

/* True if text is 1..SCN_NAME_LEN-1 characters of [a-z0-9._-] (or also A-Z), and not
 * "." or "..": a scenario's name names its output directory. */
bool scn_name_text(const char *text, bool upper_allowed)
{
    size_t length = strlen(text);
    if (length == 0 || length >= SCN_NAME_LEN || strcmp(text, ".") == 0 ||
        strcmp(text, "..") == 0) {
        return false;
    }
    for (const char *c = text; *c != '\0'; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' ||
                  *c == '-' || (upper_allowed && *c >= 'A' && *c <= 'Z');
        if (!ok) {
            return false;
        }
    }
    return true;
}

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

bool scn_call_parse(const char *text, scn_call *call)
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
const char *scn_comma_hint(const char *text)
{
    bool open = strchr(text, '(') != NULL;
    bool close = strchr(text, ')') != NULL;
    if (open != close) {
        return " (inside [ ] or { }, quote a value that contains a comma)";
    }
    return "";
}

/* ---------------------------------------------------------------- formatting */

const char *scn_format_size(int64_t bytes, char *buf, size_t buf_len)
{
    static const char *const suffixes[] = {"TiB", "GiB", "MiB", "KiB"};
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
const char *scn_join(const char *const *names, char *buf, size_t buf_len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; names[i] != NULL && used < buf_len; i++) {
        int n = snprintf(buf + used, buf_len - used, "%s%s", i == 0 ? "" : ", ", names[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

const char *scn_join_words(const char *const *words, size_t count, const char *last_glue, char *buf,
                           size_t buf_len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < buf_len; i++) {
        const char *glue = i == 0 ? "" : i + 1 == count ? last_glue : ", ";
        int n = snprintf(buf + used, buf_len - used, "%s%s", glue, words[i]);
        used += n > 0 ? (size_t)n : 0;
    }
    return buf;
}

/* "a, b, c" from names stored every `stride` bytes; "(none defined)" if count is 0. */
const char *scn_join_names(const char *first, size_t stride, uint32_t count, char *buf,
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

int scn_schema_index(const scn_schema *schema, const char *key)
{
    for (uint32_t i = 0; i < schema->field_count; i++) {
        if (strcmp(schema->fields[i].key, key) == 0) {
            return (int)i;
        }
    }
    return -1;
}

yaml_node_t *scn_seen_value(const scn_seen *seen, const char *key)
{
    int at = scn_schema_index(seen->schema, key);
    BL_ASSERT(at >= 0);
    return seen->values[at];
}

/* The first present value among keys (NULL-terminated), else the mapping itself. */
yaml_node_t *scn_seen_first(const scn_seen *seen, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++) {
        yaml_node_t *value = scn_seen_value(seen, keys[i]);
        if (value != NULL) {
            return value;
        }
    }
    return seen->map;
}

const char *scn_field_desc(const scn_field *field, char *buf, size_t buf_len)
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

static bool scn_size_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, uint64_t *out)
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

bool scn_rate_value(scn_ctx *ctx, yaml_node_t *node, int64_t min, int64_t max, double *out)
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
        return scn_fail(ctx, node, "%s: %s is out of range, expected %lld/s..%lld/s", ctx->where,
                        text, (long long)min, (long long)max);
    }
    *out = value;
    return true;
}

static bool scn_u32_field(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, uint32_t *out)
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
        return scn_fail(ctx, node,
                        "%s: bad integer '%s', expected a decimal integer in "
                        "%lld..%lld",
                        ctx->where, text, (long long)field->min, (long long)field->max);
    }
    bool zero = value == 0;
    if (negative && zero) { /* integers are written without a sign */
        return scn_fail(ctx, node, "%s: bad integer '%s', expected a decimal integer in %lld..%lld",
                        ctx->where, text, (long long)field->min, (long long)field->max);
    }
    if (overflow || negative || (int64_t)value < field->min || value > (uint64_t)field->max) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected %lld..%lld", ctx->where, text,
                        (long long)field->min, (long long)field->max);
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
        return scn_fail(ctx, node,
                        "%s: bad integer '%s', expected a non-negative decimal "
                        "integer",
                        ctx->where, text);
    }
    if (negative && value == 0) { /* integers are written without a sign */
        return scn_fail(ctx, node, "%s: bad integer '%s', expected a non-negative decimal integer",
                        ctx->where, text);
    }
    if (overflow || negative) {
        return scn_fail(ctx, node, "%s: %s is out of range, expected 0..%llu", ctx->where, text,
                        (unsigned long long)UINT64_MAX);
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
    } else if (strcmp(text, ".") == 0 || strcmp(text, "..") == 0) {
        return scn_fail(ctx, node,
                        "%s: bad name '%s', expected a name other than . and .. (a name can "
                        "name a directory)",
                        ctx->where, text);
    } else if (!scn_name_text(text, field->type == SCN_T_IDENT)) {
        return scn_fail(ctx, node, "%s: bad name '%s', expected %s of at most %d characters",
                        ctx->where, text, desc, SCN_NAME_LEN - 1);
    }
    memcpy(out, text, length);
    out[length] = '\0';
    return true;
}

bool scn_field_parse(scn_ctx *ctx, const scn_field *field, yaml_node_t *node, void *target)
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

/* The families other than the chosen one whose keys for `section` include `key`, as
 * "the queue family" or "the queue and rocket families", in `out`; false if none. */
static bool scn_key_families(const scn_ctx *ctx, scn_section section, const char *key, char *out,
                             size_t out_len)
{
    if (section == SCN_SECTION_NONE || ctx->families == NULL || ctx->family == NULL) {
        return false;
    }
    /* each owner as "kafka (preset kafka)", so the message says which presets take it */
    enum { OWNERS_MAX = 8 };
    char owned[OWNERS_MAX][SCN_LIST_TEXT_LEN / 2];
    const char *names[OWNERS_MAX];
    size_t count = 0;
    for (uint32_t f = 0; f < ctx->families->count && count < OWNERS_MAX; f++) {
        const scn_family_schema *family = ctx->families->list[f];
        const scn_schema *keys = family->sections[section];
        if (family == ctx->family || keys == NULL || scn_schema_index(keys, key) < 0) continue;
        char presets[SCN_LIST_TEXT_LEN / 2];
        size_t preset_count = 0;
        while (family->presets[preset_count] != NULL) preset_count++;
        snprintf(owned[count], sizeof owned[count], "%s (preset%s %s)", family->name,
                 preset_count == 1 ? "" : "s",
                 scn_join_words((const char *const *)family->presets, preset_count, ", ", presets,
                                sizeof presets));
        names[count] = owned[count];
        count++;
    }
    if (count == 0) {
        return false;
    }
    char joined[SCN_LIST_TEXT_LEN];
    if (count == 1) { /* "the kafka family (preset kafka)" */
        char *paren = strchr(owned[0], ' ');
        BL_ASSERT(paren != NULL);
        *paren = '\0';
        snprintf(out, out_len, "the %s family %s", owned[0], paren + 1);
        return true;
    }
    snprintf(out, out_len, "the %s families",
             scn_join_words(names, count, " and ", joined, sizeof joined));
    return true;
}

/* Checks the node is a mapping whose keys are all in the schema, each once. */
bool scn_map_index(scn_ctx *ctx, yaml_node_t *map, const scn_schema *schema, scn_seen *seen)
{
    char keys[SCN_LIST_TEXT_LEN];
    BL_ASSERT(schema->field_count <= SCN_FIELDS_MAX);
    memset(seen, 0, sizeof *seen);
    seen->schema = schema;
    seen->map = map;
    if (!scn_node_check(ctx, map, YAML_MAPPING_NODE, "a mapping")) {
        return false;
    }
    for (yaml_node_pair_t *pair = map->data.mapping.pairs.start; pair < map->data.mapping.pairs.top;
         pair++) {
        yaml_node_t *key = scn_node(ctx, pair->key);
        if (key->type != YAML_SCALAR_NODE) {
            return scn_fail(ctx, key, "bad key %s: got %s, expected a key name", scn_in(ctx),
                            scn_node_kind(key));
        }
        const char *text = (const char *)key->data.scalar.value;
        if (strlen(text) != key->data.scalar.length) {
            return scn_fail(ctx, key,
                            "bad key %s: it contains a NUL character, expected a key "
                            "name",
                            scn_in(ctx));
        }
        int at = scn_schema_index(schema, text);
        char owners[SCN_LIST_TEXT_LEN];
        if (at < 0 && scn_key_families(ctx, schema->section, text, owners, sizeof owners)) {
            return scn_fail(ctx, key,
                            "key '%s' %s belongs to %s, not to the %s family "
                            "cluster.preset chose, expected one of: %s",
                            text, scn_in(ctx), owners, ctx->family->name,
                            scn_schema_keys(schema, keys, sizeof keys));
        }
        if (at < 0) {
            return scn_fail(ctx, key, "unknown key '%s' %s, expected one of: %s%s", text,
                            scn_in(ctx), scn_schema_keys(schema, keys, sizeof keys),
                            scn_comma_hint(text));
        }
        if (seen->keys[at] != NULL) {
            return scn_fail(ctx, key,
                            "duplicate key '%s' %s (first on line %lu), expected "
                            "each key once",
                            text, scn_in(ctx), (unsigned long)seen->keys[at]->start_mark.line + 1);
        }
        seen->keys[at] = key;
        seen->values[at] = scn_node(ctx, pair->value);
    }
    return true;
}

/* Sets an absent field from its default: the default's text parsed as a value would
 * be, or, for a mapping without one, its own fields' defaults. */
static void scn_field_default(scn_ctx *ctx, const scn_field *field, void *target)
{
    if (field->def == NULL) {
        if (field->type == SCN_T_MAP) {
            scn_schema_defaults(ctx, field->schema, target);
        }
        return;
    }
    yaml_node_t node;
    memset(&node, 0, sizeof node);
    node.type = YAML_SCALAR_NODE;
    node.data.scalar.value = (yaml_char_t *)field->def;
    node.data.scalar.length = strlen(field->def);
    node.data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
    size_t saved = scn_where_push_key(ctx, field->key);
    bool ok = scn_field_parse(ctx, field, &node, target);
    scn_where_pop(ctx, saved);
    BL_ASSERTF(ok, "the default '%s' of %s does not parse: %s", field->def, field->key, ctx->error);
}

void scn_schema_defaults(scn_ctx *ctx, const scn_schema *schema, void *base)
{
    for (uint32_t i = 0; i < schema->field_count; i++) {
        const scn_field *field = &schema->fields[i];
        scn_field_default(ctx, field, (char *)base + field->offset);
    }
}

bool scn_map_apply(scn_ctx *ctx, const scn_seen *seen, void *base)
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
            scn_field_default(ctx, field, (char *)base + field->offset);
            continue;
        }
        size_t saved = scn_where_push_key(ctx, field->key);
        bool ok = scn_field_parse(ctx, field, seen->values[i], (char *)base + field->offset);
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
    }
    if (schema->check != NULL && !schema->check(ctx, seen, base)) {
        return false;
    }
    return schema->extension_check == NULL ||
           schema->extension_check(ctx, seen, (char *)base + schema->extension_offset);
}

static void scn_schema_append(scn_extended_schema *out, const scn_schema *ext, size_t ext_offset)
{
    for (uint32_t i = 0; i < ext->field_count; i++) {
        if (scn_schema_index(&out->schema, ext->fields[i].key) >= 0) {
            continue; /* a key two families share (only unions of families have them) */
        }
        BL_ASSERTF(out->schema.field_count < SCN_FIELDS_MAX, "more than %d keys in one mapping",
                   SCN_FIELDS_MAX);
        scn_field *field = &out->fields[out->schema.field_count++];
        *field = ext->fields[i];
        field->offset += ext_offset;
    }
}

void scn_schema_extend(scn_extended_schema *out, const scn_schema *base, const scn_schema *ext,
                       size_t ext_offset)
{
    BL_ASSERT(base->field_count <= SCN_FIELDS_MAX && base->extension_check == NULL);
    memset(out, 0, sizeof *out);
    memcpy(out->fields, base->fields, base->field_count * sizeof *base->fields);
    out->schema = *base;
    out->schema.fields = out->fields;
    if (ext != NULL) {
        scn_schema_append(out, ext, ext_offset);
        out->schema.extension_check = ext->check;
        out->schema.extension_offset = ext_offset;
    }
}

void scn_schema_extend_all(scn_extended_schema *out, const scn_schema *base,
                           const scn_families *families, scn_section section, size_t ext_offset)
{
    scn_schema_extend(out, base, NULL, 0);
    for (uint32_t f = 0; f < families->count; f++) {
        const scn_schema *ext = families->list[f]->sections[section];
        if (ext != NULL) {
            scn_schema_append(out, ext, ext_offset);
        }
    }
}

bool scn_map_parse(scn_ctx *ctx, yaml_node_t *node, const scn_schema *schema, void *base)
{
    scn_seen seen;
    return scn_map_index(ctx, node, schema, &seen) && scn_map_apply(ctx, &seen, base);
}

/* ---------------------------------------------------------------- sequences */

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
                     ctx->where, list->what, name, (int)list_where_len, ctx->where, (unsigned)i);
            scn_where_pop(ctx, saved);
            return false;
        }
    }
    return true;
}

bool scn_list_parse(scn_ctx *ctx, yaml_node_t *node, const scn_list *list, void *items,
                    uint32_t *count)
{
    char desc[64];
    snprintf(desc, sizeof desc, "a sequence of %ss", list->what);
    if (!scn_node_check(ctx, node, YAML_SEQUENCE_NODE, desc)) {
        return false;
    }
    uint32_t length = scn_seq_length(node);
    if (length == 0 && list->nonempty) {
        return scn_fail(ctx, node, "%s: empty, expected at least one %s", ctx->where, list->what);
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
        ok = ok &&
             (list->name_key == NULL || scn_list_unique(ctx, list, item_node, items, i, saved));
        scn_where_pop(ctx, saved);
        if (!ok) {
            return false;
        }
        *count = i + 1;
    }
    return true;
}

/* ---------------------------------------------------------------- references */

bool scn_topic_find(const scn_scenario *scenario, const char *name, uint32_t *out)
{
    for (uint32_t i = 0; i < scenario->topic_count; i++) {
        if (strcmp(scenario->topics[i].name, name) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

const char *scn_topic_names(const scn_scenario *scenario, char *buf, size_t buf_len)
{
    return scn_join_names(scenario->topics[0].name, sizeof scenario->topics[0],
                          scenario->topic_count, buf, buf_len);
}
