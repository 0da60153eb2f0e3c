/* history_json.c — history.jsonl lines: the writer's hot path and the reader.
 *
 * hist_format_line runs once per history record (millions per run), so it writes the
 * JSON by hand: literal field names copied with memcpy, integers by a two-digits-at-a-
 * time conversion, names escaped in one pass; no printf. Field order is fixed (t, node,
 * f, type, then the fields history.h lists for that f/type, in that order), which is
 * what makes equal histories byte-identical. hist_parse_line reads a line back
 * (the tests; a future `check` command) with a flat-object scanner, jansson being the fallback for
 * anything unusual; format → parse gives the same record back, and unknown fields are
 * ignored so the format can grow by adding fields. */
#include "history.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bl_assert.h"

#define HIST_WHY_LEN 160

/* The (f, type) pairs the contract defines, as a bit set of types per f. */
#define TYPES_ALL ((1u << HIST_INVOKE) | (1u << HIST_OK) | (1u << HIST_FAIL) | (1u << HIST_INFO))
static const uint8_t g_allowed_types[HIST_FN_COUNT] = {
    [HIST_SEND] = TYPES_ALL,      [HIST_DELIVER] = 1u << HIST_OK,
    [HIST_DEDUP] = 1u << HIST_OK, [HIST_PROCESS] = 1u << HIST_OK,
    [HIST_COMMIT] = TYPES_ALL,    [HIST_FAULT] = 1u << HIST_INFO,
    [HIST_REQUEST] = TYPES_ALL,   [HIST_SUBSCRIBE] = 1u << HIST_OK,
    [HIST_STATS] = 1u << HIST_OK, [HIST_UNSUBSCRIBE] = 1u << HIST_OK,
};

bool hist_type_allowed(unsigned fn, unsigned type)
{
    return fn < HIST_FN_COUNT && type < HIST_TYPE_COUNT &&
           (g_allowed_types[fn] & (1u << type)) != 0;
}

/* ---- writer ---- */

#define PUT_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

static const char g_digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                    "25262728293031323334353637383940414243444546474849"
                                    "50515253545556575859606162636465666768697071727374"
                                    "75767778798081828384858687888990919293949596979899";

static char *put_u64(char *p, uint64_t value)
{
    char tmp[20];
    int at = 20;
    while (value >= 100) {
        unsigned pair = (unsigned)(value % 100);
        value /= 100;
        at -= 2;
        memcpy(tmp + at, g_digit_pairs + 2 * pair, 2);
    }
    if (value >= 10) {
        at -= 2;
        memcpy(tmp + at, g_digit_pairs + 2 * value, 2);
    } else {
        tmp[--at] = (char)('0' + value);
    }
    memcpy(p, tmp + at, (size_t)(20 - at));
    return p + (20 - at);
}

static char *put_i64(char *p, int64_t value)
{
    if (value >= 0) return put_u64(p, (uint64_t)value);
    *p++ = '-';
    return put_u64(p, (uint64_t)0 - (uint64_t)value);
}

/* A quoted name. Names hold no control characters (hist_names_intern asserts it), so
 * only '"' and '\\' need escaping and a name takes at most twice its length + 2 bytes. */
static char *put_name(char *p, const hist_names *names, uint16_t index)
{
    BL_ASSERTF(index < names->count, "history name index %u not in the table (%u names)",
               (unsigned)index, (unsigned)names->count);
    *p++ = '"';
    for (const char *s = hist_name(names, index); *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') *p++ = '\\';
        *p++ = *s;
    }
    *p++ = '"';
    return p;
}

static char *put_send_fields(char *p, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->msg >= 1 && rec->msg <= (uint64_t)INT64_MAX);
    PUT_LIT(p, ",\"msg\":");
    p = put_u64(p, rec->msg);
    if (rec->type == HIST_INVOKE) {
        PUT_LIT(p, ",\"key\":");
        if (rec->key == HIST_NONE) {
            PUT_LIT(p, "null");
        } else {
            BL_ASSERT(rec->key >= 0);
            p = put_i64(p, rec->key);
        }
        PUT_LIT(p, ",\"seq\":");
        p = put_u64(p, rec->seq);
        PUT_LIT(p, ",\"topic\":");
        p = put_name(p, names, rec->topic);
        PUT_LIT(p, ",\"intended_t\":");
        p = put_i64(p, rec->intended_t_us);
    } else if (rec->type == HIST_OK) {
        PUT_LIT(p, ",\"partition\":");
        p = put_i64(p, rec->partition);
        PUT_LIT(p, ",\"offset\":");
        p = put_i64(p, rec->offset);
    }
    return p;
}

static char *put_msg_group(char *p, const hist_record *rec, const hist_names *names)
{
    BL_ASSERT(rec->msg >= 1 && rec->msg <= (uint64_t)INT64_MAX);
    PUT_LIT(p, ",\"msg\":");
    p = put_u64(p, rec->msg);
    PUT_LIT(p, ",\"group\":");
    return put_name(p, names, rec->group);
}

static char *put_partition_offset(char *p, const hist_record *rec)
{
    PUT_LIT(p, ",\"partition\":");
    p = put_i64(p, rec->partition);
    PUT_LIT(p, ",\"offset\":");
    return put_i64(p, rec->offset);
}

/* A dead letter's x-death, on its deliver and process records only. */
static char *put_death(char *p, const hist_record *rec, const hist_names *names)
{
    if (rec->death_reason == HIST_DEATH_NONE) return p;
    BL_ASSERT(rec->death_reason < HIST_DEATH_COUNT);
    PUT_LIT(p, ",\"death_reason\":\"");
    const char *reason = hist_death_name((hist_death)rec->death_reason);
    size_t length = strlen(reason);
    memcpy(p, reason, length);
    p += length;
    PUT_LIT(p, "\",\"death_group\":");
    return put_name(p, names, rec->death_group);
}

static char *put_fields(char *p, const hist_record *rec, const hist_names *names)
{
    switch ((hist_fn)rec->fn) {
    case HIST_SEND: return put_send_fields(p, rec, names);
    case HIST_DELIVER:
        p = put_msg_group(p, rec, names);
        p = put_partition_offset(p, rec);
        if (rec->redelivered)
            PUT_LIT(p, ",\"redelivered\":true");
        else
            PUT_LIT(p, ",\"redelivered\":false");
        return put_death(p, rec, names);
    case HIST_DEDUP:
    case HIST_PROCESS: return put_death(put_msg_group(p, rec, names), rec, names);
    case HIST_STATS:
        PUT_LIT(p, ",\"group\":");
        p = put_name(p, names, rec->group);
        PUT_LIT(p, ",\"partition\":");
        p = put_i64(p, rec->partition);
        PUT_LIT(p, ",\"source\":");
        p = put_name(p, names, rec->source);
        PUT_LIT(p, ",\"counter\":");
        p = put_name(p, names, rec->counter);
        PUT_LIT(p, ",\"value\":");
        BL_ASSERT(rec->value <= (uint64_t)INT64_MAX);
        return put_u64(p, rec->value);
    case HIST_COMMIT:
        PUT_LIT(p, ",\"group\":");
        p = put_name(p, names, rec->group);
        return put_partition_offset(p, rec);
    case HIST_FAULT:
        PUT_LIT(p, ",\"kind\":");
        p = put_name(p, names, rec->fault_kind);
        PUT_LIT(p, ",\"target\":");
        p = put_name(p, names, rec->fault_target);
        BL_ASSERT(rec->phase == HIST_PHASE_START || rec->phase == HIST_PHASE_STOP);
        if (rec->phase == HIST_PHASE_START)
            PUT_LIT(p, ",\"phase\":\"start\"");
        else
            PUT_LIT(p, ",\"phase\":\"stop\"");
        return p;
    case HIST_REQUEST:
        BL_ASSERT(rec->msg >= 1 && rec->msg <= (uint64_t)INT64_MAX);
        PUT_LIT(p, ",\"req\":");
        p = put_u64(p, rec->msg);
        if (rec->type == HIST_INVOKE) {
            PUT_LIT(p, ",\"intended_t\":");
            p = put_i64(p, rec->intended_t_us);
        }
        return p;
    case HIST_SUBSCRIBE:
    case HIST_UNSUBSCRIBE:
        PUT_LIT(p, ",\"group\":");
        p = put_name(p, names, rec->group);
        PUT_LIT(p, ",\"topic\":");
        p = put_name(p, names, rec->topic);
        if (rec->from_now) PUT_LIT(p, ",\"from_now\":true");
        return p;
    case HIST_FN_COUNT: break;
    }
    BL_ASSERTF(false, "history record with unknown f %u", (unsigned)rec->fn);
    return p;
}

/* The escaped bytes of the record's long names beyond what HIST_LINE_MAX allows a
 * name (2 * HIST_NAME_LEN each). */
static size_t long_names_extra(const hist_record *rec, const hist_names *names)
{
    if (names->long_count == 0) return 0;
    uint16_t used[HIST_RECORD_NAMES_MAX];
    uint32_t n = hist_record_names(rec, used);
    size_t extra = 0;
    for (uint32_t i = 0; i < n; i++)
        if (used[i] < names->count && names->long_names[used[i]] != NULL)
            extra += 2 * strlen(names->long_names[used[i]]) + 2;
    return extra;
}

size_t hist_line_bound(const hist_record *rec, const hist_names *names)
{
    return HIST_LINE_MAX + long_names_extra(rec, names);
}

size_t hist_format_line(const hist_record *rec, const hist_names *names, char *buf)
{
    BL_ASSERT(rec->fn < HIST_FN_COUNT && rec->type < HIST_TYPE_COUNT);
    BL_ASSERTF(hist_type_allowed(rec->fn, rec->type), "history record %s %s",
               hist_fn_name((hist_fn)rec->fn), hist_type_name((hist_type)rec->type));
    BL_ASSERT(rec->t_us >= 0);
    char *p = buf;
    PUT_LIT(p, "{\"t\":");
    p = put_i64(p, rec->t_us);
    PUT_LIT(p, ",\"node\":");
    p = put_name(p, names, rec->node);
    PUT_LIT(p, ",\"f\":\"");
    const char *fn_name = hist_fn_name((hist_fn)rec->fn);
    size_t fn_len = strlen(fn_name);
    memcpy(p, fn_name, fn_len);
    p += fn_len;
    PUT_LIT(p, "\",\"type\":\"");
    const char *type_name = hist_type_name((hist_type)rec->type);
    size_t type_len = strlen(type_name);
    memcpy(p, type_name, type_len);
    p += type_len;
    *p++ = '"';
    p = put_fields(p, rec, names);
    *p++ = '}';
    *p++ = '\n';
    size_t length = (size_t)(p - buf);
    BL_ASSERT(length < hist_line_bound(rec, names));
    *p = '\0';
    return length;
}

/* ---- reader ----
 * A line is first read into a table of the fields this format knows (unknown fields are
 * skipped). The fast path scans the canonical shape the writer produces (a flat object
 * of integers, null, booleans and ASCII strings without \u escapes, whitespace
 * anywhere); anything else (nested values, reals, \u escapes, non-ASCII, malformed
 * JSON) goes through jansson, which fills the same table or explains the error. The
 * checks below then run on the table, whichever path filled it. */

enum {
    FIELD_T = 0,
    FIELD_NODE,
    FIELD_F,
    FIELD_TYPE,
    FIELD_MSG,
    FIELD_KEY,
    FIELD_SEQ,
    FIELD_TOPIC,
    FIELD_INTENDED_T,
    FIELD_PARTITION,
    FIELD_OFFSET,
    FIELD_GROUP,
    FIELD_REDELIVERED,
    FIELD_KIND,
    FIELD_TARGET,
    FIELD_PHASE,
    FIELD_REQ,
    FIELD_DEATH_REASON,
    FIELD_DEATH_GROUP,
    FIELD_SOURCE,
    FIELD_COUNTER,
    FIELD_VALUE,
    FIELD_FROM_NOW,
    FIELD_COUNT,
};
static const char *const g_field_names[FIELD_COUNT] = {
    "t",           "node",   "f",          "type",      "msg",      "key",
    "seq",         "topic",  "intended_t", "partition", "offset",   "group",
    "redelivered", "kind",   "target",     "phase",     "req",      "death_reason",
    "death_group", "source", "counter",    "value",     "from_now",
};

typedef enum { VALUE_INT = 0, VALUE_STRING, VALUE_NULL, VALUE_BOOL, VALUE_OTHER } value_type;

typedef struct line_field {
    bool present;
    value_type type;
    int64_t integer;  /* VALUE_INT; VALUE_BOOL: 0/1 */
    const char *text; /* VALUE_STRING: NUL-terminated */
    size_t length;
} line_field;

#define LINE_STRINGS_LEN 2048

typedef struct line_fields {
    line_field field[FIELD_COUNT];
    char strings[LINE_STRINGS_LEN]; /* decoded strings of the fast path */
    size_t strings_used;
    json_t *root; /* the jansson path's document, or NULL */
} line_fields;

static int field_index(const char *key, size_t length)
{
    for (int i = 0; i < FIELD_COUNT; i++) {
        if (strncmp(g_field_names[i], key, length) == 0 && g_field_names[i][length] == '\0') {
            return i;
        }
    }
    return -1;
}

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* A string after its opening quote; decoded into the table when `field` is set. Returns
 * the position after the closing quote, or NULL to leave the line to jansson. */
static const char *fast_string(const char *p, line_fields *out, line_field *field)
{
    char *to = out->strings + out->strings_used;
    const char *end = out->strings + LINE_STRINGS_LEN - 1;
    const char *start = to;
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') break;
        if (c < 0x20u || c >= 0x80u) return NULL;
        if (c == '\\') {
            static const char escapes[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
            const char *e = p[1] != '\0' ? strchr(escapes, p[1]) : NULL;
            if (e == NULL || (e - escapes) % 2 != 0) return NULL; /* \u and errors */
            c = (unsigned char)e[1];
            p++;
        }
        if (field != NULL) {
            if (to >= end) return NULL;
            *to++ = (char)c;
        }
    }
    if (field != NULL) {
        *to++ = '\0';
        field->type = VALUE_STRING;
        field->text = start;
        field->length = (size_t)(to - start) - 1;
        out->strings_used += (size_t)(to - start);
    }
    return p + 1;
}

/* An integer (no fraction or exponent, no leading zero, fits int64), else NULL. */
static const char *fast_integer(const char *p, line_field *field)
{
    bool negative = *p == '-';
    if (negative) p++;
    if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9')) return NULL;
    uint64_t value = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (value > (UINT64_MAX - 9) / 10) return NULL;
        value = value * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.' || *p == 'e' || *p == 'E') return NULL;
    if (value > (uint64_t)INT64_MAX + (negative ? 1u : 0u)) return NULL;
    if (field != NULL) {
        field->type = VALUE_INT;
        field->integer = negative ? (int64_t)(0 - value) : (int64_t)value;
    }
    return p;
}

static const char *fast_literal(const char *p, line_field *field)
{
    static const struct {
        const char *text;
        value_type type;
        int64_t value;
    } literals[] = {{"null", VALUE_NULL, 0}, {"true", VALUE_BOOL, 1}, {"false", VALUE_BOOL, 0}};
    for (int i = 0; i < 3; i++) {
        size_t length = strlen(literals[i].text);
        if (strncmp(p, literals[i].text, length) != 0) continue;
        if (field != NULL) {
            field->type = literals[i].type;
            field->integer = literals[i].value;
        }
        return p + length;
    }
    return NULL;
}

static const char *fast_value(const char *p, line_fields *out, line_field *field)
{
    if (*p == '"') return fast_string(p + 1, out, field);
    if (*p == '-' || (*p >= '0' && *p <= '9')) return fast_integer(p, field);
    return fast_literal(p, field); /* nested values: jansson */
}

/* The fast path; false leaves the line to jansson (which also explains errors). */
static bool fast_fields(const char *line, line_fields *out)
{
    const char *p = skip_space(line);
    if (*p++ != '{') return false;
    p = skip_space(p);
    if (*p == '}') return *skip_space(p + 1) == '\0';
    for (;;) {
        if (*p++ != '"') return false;
        const char *key = p;
        while (*p != '"' && (unsigned char)*p >= 0x20u && (unsigned char)*p < 0x80u && *p != '\\') {
            p++;
        }
        if (*p != '"') return false;
        int index = field_index(key, (size_t)(p - key));
        p = skip_space(p + 1);
        if (*p++ != ':') return false;
        line_field *field = index >= 0 ? &out->field[index] : NULL;
        if (field != NULL && field->present) return false; /* duplicate: jansson says so */
        p = fast_value(skip_space(p), out, field);
        if (p == NULL) return false;
        if (field != NULL) field->present = true;
        p = skip_space(p);
        if (*p == '}') break;
        if (*p++ != ',') return false;
        p = skip_space(p);
    }
    return *skip_space(p + 1) == '\0';
}

static bool jansson_fields(const char *line, line_fields *out, char why[HIST_WHY_LEN])
{
    memset(out->field, 0, sizeof out->field);
    json_error_t error;
    out->root = json_loads(line, JSON_REJECT_DUPLICATES, &error);
    if (out->root == NULL) {
        snprintf(why, HIST_WHY_LEN, "not a JSON object: %.100s (column %d)", error.text,
                 error.column);
        return false;
    }
    if (!json_is_object(out->root)) {
        snprintf(why, HIST_WHY_LEN, "expected a JSON object");
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(out->root, key, value)
    {
        int index = field_index(key, strlen(key));
        if (index < 0) continue;
        line_field *field = &out->field[index];
        field->present = true;
        field->type = VALUE_OTHER;
        if (json_is_integer(value)) {
            field->type = VALUE_INT;
            field->integer = (int64_t)json_integer_value(value);
        } else if (json_is_string(value)) {
            field->type = VALUE_STRING;
            field->text = json_string_value(value);
            field->length = json_string_length(value);
        } else if (json_is_null(value)) {
            field->type = VALUE_NULL;
        } else if (json_is_boolean(value)) {
            field->type = VALUE_BOOL;
            field->integer = json_is_true(value) ? 1 : 0;
        }
    }
    return true;
}

/* ---- checks on the field table ---- */

static bool fail_why(char why[HIST_WHY_LEN], const char *what, int index)
{
    snprintf(why, HIST_WHY_LEN, "field \"%s\": %s", g_field_names[index], what);
    return false;
}

static bool get_int(const line_fields *in, int index, int64_t min, int64_t max, int64_t *out,
                    char why[HIST_WHY_LEN])
{
    const line_field *field = &in->field[index];
    if (!field->present) return fail_why(why, "missing", index);
    if (field->type != VALUE_INT) return fail_why(why, "expected an integer", index);
    if (field->integer < min || field->integer > max) return fail_why(why, "out of range", index);
    *out = field->integer;
    return true;
}

static bool get_string(const line_fields *in, int index, const line_field **out,
                       char why[HIST_WHY_LEN])
{
    *out = &in->field[index];
    if (!(*out)->present) return fail_why(why, "missing", index);
    if ((*out)->type != VALUE_STRING) return fail_why(why, "expected a string", index);
    return true;
}

static bool get_name(const line_fields *in, int index, hist_names *names, uint16_t *out,
                     char why[HIST_WHY_LEN])
{
    const line_field *field;
    if (!get_string(in, index, &field, why)) return false;
    size_t max_length = index == FIELD_TARGET ? HIST_LONG_NAME_LEN : HIST_NAME_LEN;
    if (field->length == 0 || field->length >= max_length) {
        return fail_why(why, "bad name length", index);
    }
    for (size_t i = 0; i < field->length; i++) {
        if ((unsigned char)field->text[i] < 0x20u) return fail_why(why, "control character", index);
    }
    int32_t found = hist_names_find(names, field->text);
    if (found >= 0) {
        *out = (uint16_t)found;
        return true;
    }
    if (names->count >= HIST_NAMES_MAX) return fail_why(why, "too many distinct names", index);
    if (!hist_names_set(names, names->count, field->text, field->length))
        return fail_why(why, "too many distinct long names", index);
    *out = (uint16_t)(names->count - 1);
    return true;
}

static bool get_enum(const line_fields *in, int index, const char *const *choices, int count,
                     int *out, char why[HIST_WHY_LEN])
{
    const line_field *field;
    if (!get_string(in, index, &field, why)) return false;
    for (int i = 0; i < count; i++) {
        if (strlen(choices[i]) == field->length && strcmp(field->text, choices[i]) == 0) {
            *out = i;
            return true;
        }
    }
    return fail_why(why, "unknown value", index);
}

static bool get_msg(const line_fields *in, int index, hist_record *rec, char why[HIST_WHY_LEN])
{
    int64_t msg;
    if (!get_int(in, index, 1, INT64_MAX, &msg, why)) return false;
    rec->msg = (uint64_t)msg;
    return true;
}

static bool get_partition_offset(const line_fields *in, hist_record *rec, char why[HIST_WHY_LEN])
{
    int64_t partition;
    if (!get_int(in, FIELD_PARTITION, INT32_MIN, INT32_MAX, &partition, why)) return false;
    rec->partition = (int32_t)partition;
    return get_int(in, FIELD_OFFSET, INT64_MIN, INT64_MAX, &rec->offset, why);
}

static bool parse_send(const line_fields *in, hist_record *rec, hist_names *names,
                       char why[HIST_WHY_LEN])
{
    if (!get_msg(in, FIELD_MSG, rec, why)) return false;
    if (rec->type == HIST_OK) return get_partition_offset(in, rec, why);
    if (rec->type != HIST_INVOKE) return true;
    const line_field *key = &in->field[FIELD_KEY];
    if (key->present && key->type == VALUE_NULL) {
        rec->key = HIST_NONE;
    } else if (!get_int(in, FIELD_KEY, 0, INT64_MAX, &rec->key, why)) {
        return false;
    }
    int64_t seq;
    if (!get_int(in, FIELD_SEQ, 0, UINT32_MAX, &seq, why)) return false;
    rec->seq = (uint32_t)seq;
    if (!get_name(in, FIELD_TOPIC, names, &rec->topic, why)) return false;
    return get_int(in, FIELD_INTENDED_T, 0, INT64_MAX, &rec->intended_t_us, why);
}

static bool parse_deliver(const line_fields *in, hist_record *rec, hist_names *names,
                          char why[HIST_WHY_LEN])
{
    if (!get_msg(in, FIELD_MSG, rec, why)) return false;
    if (!get_name(in, FIELD_GROUP, names, &rec->group, why)) return false;
    if (!get_partition_offset(in, rec, why)) return false;
    const line_field *redelivered = &in->field[FIELD_REDELIVERED];
    if (!redelivered->present) return fail_why(why, "missing", FIELD_REDELIVERED);
    if (redelivered->type != VALUE_BOOL) {
        return fail_why(why, "expected true or false", FIELD_REDELIVERED);
    }
    rec->redelivered = (uint8_t)redelivered->integer;
    return true;
}

/* death_reason and death_group, both or neither (a dead letter's deliver or process). */
static bool parse_death(const line_fields *in, hist_record *rec, hist_names *names,
                        char why[HIST_WHY_LEN])
{
    static const char *const reasons[] = {"expired", "maxlen", "rejected", "delivery_limit"};
    if (!in->field[FIELD_DEATH_REASON].present && !in->field[FIELD_DEATH_GROUP].present)
        return true;
    int reason;
    if (!get_enum(in, FIELD_DEATH_REASON, reasons, 4, &reason, why)) return false;
    rec->death_reason = (uint8_t)(reason + 1);
    return get_name(in, FIELD_DEATH_GROUP, names, &rec->death_group, why);
}

static bool parse_stats(const line_fields *in, hist_record *rec, hist_names *names,
                        char why[HIST_WHY_LEN])
{
    int64_t partition, value;
    if (!get_name(in, FIELD_GROUP, names, &rec->group, why)) return false;
    if (!get_int(in, FIELD_PARTITION, 0, INT32_MAX, &partition, why)) return false;
    rec->partition = (int32_t)partition;
    if (!get_name(in, FIELD_SOURCE, names, &rec->source, why)) return false;
    if (!get_name(in, FIELD_COUNTER, names, &rec->counter, why)) return false;
    if (!get_int(in, FIELD_VALUE, 0, INT64_MAX, &value, why)) return false;
    rec->value = (uint64_t)value;
    return true;
}

static bool parse_fault(const line_fields *in, hist_record *rec, hist_names *names,
                        char why[HIST_WHY_LEN])
{
    static const char *const phases[] = {"start", "stop"};
    int phase;
    if (!get_name(in, FIELD_KIND, names, &rec->fault_kind, why)) return false;
    if (!get_name(in, FIELD_TARGET, names, &rec->fault_target, why)) return false;
    if (!get_enum(in, FIELD_PHASE, phases, 2, &phase, why)) return false;
    rec->phase = (uint8_t)phase;
    return true;
}

static bool parse_fields(const line_fields *in, hist_record *rec, hist_names *names,
                         char why[HIST_WHY_LEN])
{
    switch ((hist_fn)rec->fn) {
    case HIST_SEND: return parse_send(in, rec, names, why);
    case HIST_DELIVER:
        return parse_deliver(in, rec, names, why) && parse_death(in, rec, names, why);
    case HIST_DEDUP:
    case HIST_PROCESS:
        return get_msg(in, FIELD_MSG, rec, why) &&
               get_name(in, FIELD_GROUP, names, &rec->group, why) &&
               parse_death(in, rec, names, why);
    case HIST_STATS: return parse_stats(in, rec, names, why);
    case HIST_COMMIT:
        return get_name(in, FIELD_GROUP, names, &rec->group, why) &&
               get_partition_offset(in, rec, why);
    case HIST_FAULT: return parse_fault(in, rec, names, why);
    case HIST_REQUEST:
        if (!get_msg(in, FIELD_REQ, rec, why)) return false;
        if (rec->type != HIST_INVOKE) return true;
        return get_int(in, FIELD_INTENDED_T, 0, INT64_MAX, &rec->intended_t_us, why);
    case HIST_SUBSCRIBE:
    case HIST_UNSUBSCRIBE: {
        if (!get_name(in, FIELD_GROUP, names, &rec->group, why) ||
            !get_name(in, FIELD_TOPIC, names, &rec->topic, why))
            return false;
        const line_field *from_now = &in->field[FIELD_FROM_NOW];
        if (!from_now->present) return true;
        if (from_now->type != VALUE_BOOL || rec->fn != HIST_SUBSCRIBE)
            return fail_why(why, "expected true or false, on a subscribe", FIELD_FROM_NOW);
        rec->from_now = (uint8_t)from_now->integer;
        return true;
    }
    case HIST_FN_COUNT: break;
    }
    return fail_why(why, "unknown value", FIELD_F);
}

static bool parse_record(const line_fields *in, hist_record *out, hist_names *names,
                         char why[HIST_WHY_LEN])
{
    static const char *const fns[HIST_FN_COUNT] = {"send",   "deliver",    "dedup",   "process",
                                                   "commit", "fault",      "request", "subscribe",
                                                   "stats",  "unsubscribe"};
    static const char *const types[HIST_TYPE_COUNT] = {"invoke", "ok", "fail", "info"};
    int64_t t_us;
    uint16_t node;
    int fn, type;
    if (!get_int(in, FIELD_T, 0, INT64_MAX, &t_us, why)) return false;
    if (!get_name(in, FIELD_NODE, names, &node, why)) return false;
    if (!get_enum(in, FIELD_F, fns, HIST_FN_COUNT, &fn, why)) return false;
    if (!get_enum(in, FIELD_TYPE, types, HIST_TYPE_COUNT, &type, why)) return false;
    if (!hist_type_allowed((unsigned)fn, (unsigned)type)) {
        snprintf(why, HIST_WHY_LEN, "\"%s\" has no type \"%s\"", fns[fn], types[type]);
        return false;
    }
    hist_record rec = hist_record_init((hist_fn)fn, (hist_type)type, node, t_us);
    if (!parse_fields(in, &rec, names, why)) return false;
    *out = rec;
    return true;
}

bool hist_parse_line(const char *line, hist_record *rec, hist_names *names, char why[HIST_WHY_LEN])
{
    BL_ASSERT(line != NULL && rec != NULL && names != NULL && why != NULL);
    line_fields in;
    memset(in.field, 0, sizeof in.field);
    in.strings_used = 0;
    in.root = NULL;
    bool ok = fast_fields(line, &in) || jansson_fields(line, &in, why);
    ok = ok && parse_record(&in, rec, names, why);
    json_decref(in.root);
    return ok;
}
