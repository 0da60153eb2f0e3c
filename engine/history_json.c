/* history_json.c — history.jsonl lines: the writer's hot path and the reader.
 *
 * hist_format_line runs once per history record (millions per run), so it writes the
 * JSON by hand: literal field names copied with memcpy, integers by a two-digits-at-a-
 * time conversion, names escaped in one pass; no printf. Field order is fixed (t, node,
 * f, type, then the fields history.h lists for that f/type, in that order), which is
 * what makes equal histories byte-identical. hist_parse_line reads a line back with
 * jansson (`brokerlab check`, tests); format → parse gives the same record back, and
 * unknown fields are ignored so the format can grow by adding fields. */
#include "history.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "bl_assert.h"

#define HIST_WHY_LEN 160

/* The (f, type) pairs the contract defines, as a bit set of types per f. */
#define TYPES_ALL ((1u << HIST_INVOKE) | (1u << HIST_OK) | (1u << HIST_FAIL) | (1u << HIST_INFO))
static const uint8_t g_allowed_types[HIST_FN_COUNT] = {
    [HIST_SEND] = TYPES_ALL,          [HIST_DELIVER] = 1u << HIST_OK,
    [HIST_DEDUP] = 1u << HIST_OK,     [HIST_PROCESS] = 1u << HIST_OK,
    [HIST_COMMIT] = TYPES_ALL,        [HIST_FAULT] = 1u << HIST_INFO,
    [HIST_REQUEST] = TYPES_ALL,       [HIST_SUBSCRIBE] = 1u << HIST_OK,
};

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
 * only '"' and '\\' need escaping and a name takes at most 2 * HIST_NAME_LEN bytes. */
static char *put_name(char *p, const hist_names *names, uint16_t index)
{
    BL_ASSERTF(index < names->count, "history name index %u not in the table (%u names)",
               (unsigned)index, (unsigned)names->count);
    *p++ = '"';
    for (const char *s = names->names[index]; *s != '\0'; s++) {
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

static char *put_fields(char *p, const hist_record *rec, const hist_names *names)
{
    switch ((hist_fn)rec->fn) {
    case HIST_SEND: return put_send_fields(p, rec, names);
    case HIST_DELIVER:
        p = put_msg_group(p, rec, names);
        p = put_partition_offset(p, rec);
        if (rec->redelivered) PUT_LIT(p, ",\"redelivered\":true");
        else PUT_LIT(p, ",\"redelivered\":false");
        return p;
    case HIST_DEDUP:
    case HIST_PROCESS: return put_msg_group(p, rec, names);
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
        if (rec->phase == HIST_PHASE_START) PUT_LIT(p, ",\"phase\":\"start\"");
        else PUT_LIT(p, ",\"phase\":\"stop\"");
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
        PUT_LIT(p, ",\"group\":");
        p = put_name(p, names, rec->group);
        PUT_LIT(p, ",\"topic\":");
        return put_name(p, names, rec->topic);
    case HIST_FN_COUNT: break;
    }
    BL_ASSERTF(false, "history record with unknown f %u", (unsigned)rec->fn);
    return p;
}

size_t hist_format_line(const hist_record *rec, const hist_names *names, char *buf)
{
    BL_ASSERT(rec->fn < HIST_FN_COUNT && rec->type < HIST_TYPE_COUNT);
    BL_ASSERTF(g_allowed_types[rec->fn] & (1u << rec->type), "history record %s %s",
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
    BL_ASSERT(length < HIST_LINE_MAX);
    *p = '\0';
    return length;
}

/* ---- reader ---- */

static bool fail_why(char why[HIST_WHY_LEN], const char *what, const char *key)
{
    snprintf(why, HIST_WHY_LEN, "field \"%s\": %s", key, what);
    return false;
}

static bool get_int(json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out,
                    char why[HIST_WHY_LEN])
{
    json_t *value = json_object_get(obj, key);
    if (value == NULL) return fail_why(why, "missing", key);
    if (!json_is_integer(value)) return fail_why(why, "expected an integer", key);
    json_int_t v = json_integer_value(value);
    if (v < min || v > max) return fail_why(why, "out of range", key);
    *out = (int64_t)v;
    return true;
}

static bool get_name(json_t *obj, const char *key, hist_names *names, uint16_t *out,
                     char why[HIST_WHY_LEN])
{
    json_t *value = json_object_get(obj, key);
    if (value == NULL) return fail_why(why, "missing", key);
    if (!json_is_string(value)) return fail_why(why, "expected a string", key);
    const char *text = json_string_value(value);
    size_t length = json_string_length(value);
    if (length == 0 || length >= HIST_NAME_LEN) return fail_why(why, "bad name length", key);
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)text[i] < 0x20u) return fail_why(why, "control character", key);
    }
    if (hist_names_find(names, text) < 0 && names->count >= HIST_NAMES_MAX) {
        return fail_why(why, "too many distinct names", key);
    }
    *out = hist_names_intern(names, text);
    return true;
}

static bool get_enum(json_t *obj, const char *key, const char *const *choices, int count,
                     int *out, char why[HIST_WHY_LEN])
{
    json_t *value = json_object_get(obj, key);
    if (value == NULL) return fail_why(why, "missing", key);
    if (!json_is_string(value)) return fail_why(why, "expected a string", key);
    for (int i = 0; i < count; i++) {
        if (strcmp(json_string_value(value), choices[i]) == 0) {
            *out = i;
            return true;
        }
    }
    return fail_why(why, "unknown value", key);
}

static bool get_msg(json_t *obj, const char *key, hist_record *rec, char why[HIST_WHY_LEN])
{
    int64_t msg;
    if (!get_int(obj, key, 1, INT64_MAX, &msg, why)) return false;
    rec->msg = (uint64_t)msg;
    return true;
}

static bool get_partition_offset(json_t *obj, hist_record *rec, char why[HIST_WHY_LEN])
{
    int64_t partition;
    if (!get_int(obj, "partition", INT32_MIN, INT32_MAX, &partition, why)) return false;
    rec->partition = (int32_t)partition;
    return get_int(obj, "offset", INT64_MIN, INT64_MAX, &rec->offset, why);
}

static bool parse_send(json_t *obj, hist_record *rec, hist_names *names, char why[HIST_WHY_LEN])
{
    if (!get_msg(obj, "msg", rec, why)) return false;
    if (rec->type == HIST_OK) return get_partition_offset(obj, rec, why);
    if (rec->type != HIST_INVOKE) return true;
    json_t *key = json_object_get(obj, "key");
    if (key == NULL) return fail_why(why, "missing", "key");
    if (json_is_null(key)) {
        rec->key = HIST_NONE;
    } else if (!get_int(obj, "key", 0, INT64_MAX, &rec->key, why)) {
        return false;
    }
    int64_t seq;
    if (!get_int(obj, "seq", 0, UINT32_MAX, &seq, why)) return false;
    rec->seq = (uint32_t)seq;
    if (!get_name(obj, "topic", names, &rec->topic, why)) return false;
    return get_int(obj, "intended_t", 0, INT64_MAX, &rec->intended_t_us, why);
}

static bool parse_deliver(json_t *obj, hist_record *rec, hist_names *names,
                          char why[HIST_WHY_LEN])
{
    if (!get_msg(obj, "msg", rec, why)) return false;
    if (!get_name(obj, "group", names, &rec->group, why)) return false;
    if (!get_partition_offset(obj, rec, why)) return false;
    json_t *redelivered = json_object_get(obj, "redelivered");
    if (redelivered == NULL) return fail_why(why, "missing", "redelivered");
    if (!json_is_boolean(redelivered)) return fail_why(why, "expected true or false", "redelivered");
    rec->redelivered = json_is_true(redelivered) ? 1 : 0;
    return true;
}

static bool parse_fault(json_t *obj, hist_record *rec, hist_names *names, char why[HIST_WHY_LEN])
{
    static const char *const phases[] = {"start", "stop"};
    int phase;
    if (!get_name(obj, "kind", names, &rec->fault_kind, why)) return false;
    if (!get_name(obj, "target", names, &rec->fault_target, why)) return false;
    if (!get_enum(obj, "phase", phases, 2, &phase, why)) return false;
    rec->phase = (uint8_t)phase;
    return true;
}

static bool parse_fields(json_t *obj, hist_record *rec, hist_names *names,
                         char why[HIST_WHY_LEN])
{
    switch ((hist_fn)rec->fn) {
    case HIST_SEND: return parse_send(obj, rec, names, why);
    case HIST_DELIVER: return parse_deliver(obj, rec, names, why);
    case HIST_DEDUP:
    case HIST_PROCESS:
        return get_msg(obj, "msg", rec, why) && get_name(obj, "group", names, &rec->group, why);
    case HIST_COMMIT:
        return get_name(obj, "group", names, &rec->group, why) &&
               get_partition_offset(obj, rec, why);
    case HIST_FAULT: return parse_fault(obj, rec, names, why);
    case HIST_REQUEST:
        if (!get_msg(obj, "req", rec, why)) return false;
        if (rec->type != HIST_INVOKE) return true;
        return get_int(obj, "intended_t", 0, INT64_MAX, &rec->intended_t_us, why);
    case HIST_SUBSCRIBE:
        return get_name(obj, "group", names, &rec->group, why) &&
               get_name(obj, "topic", names, &rec->topic, why);
    case HIST_FN_COUNT: break;
    }
    return fail_why(why, "unknown value", "f");
}

static bool parse_object(json_t *obj, hist_record *out, hist_names *names,
                         char why[HIST_WHY_LEN])
{
    static const char *const fns[HIST_FN_COUNT] = {"send",   "deliver", "dedup",   "process",
                                                   "commit", "fault",   "request", "subscribe"};
    static const char *const types[HIST_TYPE_COUNT] = {"invoke", "ok", "fail", "info"};
    if (!json_is_object(obj)) {
        snprintf(why, HIST_WHY_LEN, "expected a JSON object");
        return false;
    }
    int64_t t_us;
    uint16_t node;
    int fn, type;
    if (!get_int(obj, "t", 0, INT64_MAX, &t_us, why)) return false;
    if (!get_name(obj, "node", names, &node, why)) return false;
    if (!get_enum(obj, "f", fns, HIST_FN_COUNT, &fn, why)) return false;
    if (!get_enum(obj, "type", types, HIST_TYPE_COUNT, &type, why)) return false;
    if (!(g_allowed_types[fn] & (1u << type))) {
        snprintf(why, HIST_WHY_LEN, "\"%s\" has no type \"%s\"", fns[fn], types[type]);
        return false;
    }
    hist_record rec = hist_record_init((hist_fn)fn, (hist_type)type, node, t_us);
    if (!parse_fields(obj, &rec, names, why)) return false;
    *out = rec;
    return true;
}

bool hist_parse_line(const char *line, hist_record *rec, hist_names *names,
                     char why[HIST_WHY_LEN])
{
    BL_ASSERT(line != NULL && rec != NULL && names != NULL && why != NULL);
    json_error_t error;
    json_t *root = json_loads(line, JSON_REJECT_DUPLICATES, &error);
    if (root == NULL) {
        snprintf(why, HIST_WHY_LEN, "not a JSON object: %.100s (column %d)", error.text,
                 error.column);
        return false;
    }
    bool ok = parse_object(root, rec, names, why);
    json_decref(root);
    return ok;
}
