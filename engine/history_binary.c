/* history_binary.c — encoder and decoder of the compact history (history_binary.h).
 *
 * The encoder runs once per stored record on the simulation's thread, so it is plain
 * byte pushing; the decoder checks every bound and reports, never asserts, because its
 * input is a file a user hands to `brokerlab history`. */
#include "history_binary.h"

#include <stdio.h>
#include <string.h>

#include "bl_assert.h"

/* ---- writer ---- */

static uint8_t *put_varint(uint8_t *p, uint64_t value)
{
    while (value >= 0x80) {
        *p++ = (uint8_t)(value | 0x80);
        value >>= 7;
    }
    *p++ = (uint8_t)value;
    return p;
}

static uint64_t zigzag(int64_t value)
{
    return ((uint64_t)value << 1) ^ (uint64_t)(value >> 63);
}

static int64_t unzigzag(uint64_t value)
{
    return (int64_t)(value >> 1) ^ -(int64_t)(value & 1);
}

static uint64_t id_delta(uint64_t id, uint64_t prev)
{
    return zigzag((int64_t)(id - prev));
}

static uint8_t *put_name_if_new(hist_bin_state *state, uint8_t *p, const hist_names *names,
                                uint16_t index)
{
    BL_ASSERTF(index < names->count, "history name index %u not in the table", (unsigned)index);
    if (state->name_known[index]) return p;
    state->name_known[index] = 1;
    const char *name = hist_name(names, index);
    size_t length = strlen(name);
    *p++ = HIST_BIN_TAG_NAME;
    p = put_varint(p, index);
    p = put_varint(p, length);
    memcpy(p, name, length);
    return p + length;
}

size_t hist_bin_header(uint8_t *buf)
{
    memcpy(buf, HIST_BIN_MAGIC, HIST_BIN_MAGIC_LEN);
    return HIST_BIN_MAGIC_LEN;
}

static uint8_t *put_ids(hist_bin_state *state, uint8_t *p, const hist_record *rec)
{
    uint64_t *prev = &state->prev_id[rec->fn][rec->type];
    p = put_varint(p, rec->count);
    for (uint32_t i = 0; i < rec->count; i++) {
        uint64_t id = rec->count > 1 ? rec->msgs[i] : rec->msg;
        p = put_varint(p, id_delta(id, *prev));
        *prev = id;
    }
    return p;
}

static uint8_t *put_names_of(hist_bin_state *state, uint8_t *p, const hist_record *rec,
                             const hist_names *names)
{
    p = put_name_if_new(state, p, names, rec->node);
    switch ((hist_fn)rec->fn) {
    case HIST_SEND:
        if (rec->type == HIST_INVOKE) p = put_name_if_new(state, p, names, rec->topic);
        break;
    case HIST_DELIVER:
    case HIST_DEDUP:
    case HIST_PROCESS:
        p = put_name_if_new(state, p, names, rec->group);
        if (rec->death_reason != HIST_DEATH_NONE)
            p = put_name_if_new(state, p, names, rec->death_group);
        break;
    case HIST_COMMIT: p = put_name_if_new(state, p, names, rec->group); break;
    case HIST_STATS:
        p = put_name_if_new(state, p, names, rec->group);
        p = put_name_if_new(state, p, names, rec->source);
        p = put_name_if_new(state, p, names, rec->counter);
        break;
    case HIST_FAULT:
        p = put_name_if_new(state, p, names, rec->fault_kind);
        p = put_name_if_new(state, p, names, rec->fault_target);
        break;
    case HIST_SUBSCRIBE:
    case HIST_UNSUBSCRIBE:
        p = put_name_if_new(state, p, names, rec->group);
        p = put_name_if_new(state, p, names, rec->topic);
        break;
    case HIST_REQUEST:
    case HIST_FN_COUNT: break;
    }
    return p;
}

/* A short name counts as HIST_NAME_LEN, a long one is measured. */
size_t hist_bin_long_record_bound(const hist_record *rec, const hist_names *names)
{
    uint16_t used[HIST_RECORD_NAMES_MAX];
    uint32_t n = hist_record_names(rec, used);
    size_t bound = 16 * 10 + (size_t)rec->count * 10;
    for (uint32_t i = 0; i < n; i++) {
        const char *long_name = used[i] < names->count ? names->long_names[used[i]] : NULL;
        bound += 3 * 10 + (long_name != NULL ? strlen(long_name) : HIST_NAME_LEN);
    }
    return bound;
}

size_t hist_bin_encode(hist_bin_state *state, const hist_record *rec, const hist_names *names,
                       uint8_t *buf)
{
    BL_ASSERT(rec->fn < HIST_FN_COUNT && rec->type < HIST_TYPE_COUNT);
    BL_ASSERT(rec->count >= 1 && rec->count <= HIST_BATCH_MAX &&
              (rec->count == 1 || rec->msgs != NULL));
    BL_ASSERTF(rec->t_us >= state->prev_t_us, "history record out of order: %lld after %lld",
               (long long)rec->t_us, (long long)state->prev_t_us);
    uint8_t *p = put_names_of(state, buf, rec, names);
    if (rec->death_reason != HIST_DEATH_NONE) {
        BL_ASSERT((rec->fn == HIST_DELIVER || rec->fn == HIST_DEDUP || rec->fn == HIST_PROCESS) &&
                  rec->death_reason < HIST_DEATH_COUNT);
        *p++ = HIST_BIN_TAG_DEATH;
        p = put_varint(p, rec->death_reason);
        p = put_varint(p, rec->death_group);
    }
    if (rec->from_now) {
        BL_ASSERT(rec->fn == HIST_SUBSCRIBE && rec->from_now == 1);
        *p++ = HIST_BIN_TAG_FROM_NOW;
    }
    if (rec->fn == HIST_UNSUBSCRIBE) {
        BL_ASSERT(rec->type == HIST_OK && rec->count == 1);
        *p++ = HIST_BIN_TAG_UNSUBSCRIBE;
        p = put_varint(p, (uint64_t)(rec->t_us - state->prev_t_us));
        state->prev_t_us = rec->t_us;
        p = put_varint(p, rec->node);
        p = put_varint(p, rec->group);
        p = put_varint(p, rec->topic);
        return (size_t)(p - buf);
    }
    if (rec->fn == HIST_STATS) {
        BL_ASSERT(rec->type == HIST_OK && rec->count == 1 && rec->partition >= 0);
        *p++ = HIST_BIN_TAG_STATS;
        p = put_varint(p, (uint64_t)(rec->t_us - state->prev_t_us));
        state->prev_t_us = rec->t_us;
        p = put_varint(p, rec->node);
        p = put_varint(p, rec->group);
        p = put_varint(p, (uint64_t)rec->partition);
        p = put_varint(p, rec->source);
        p = put_varint(p, rec->counter);
        p = put_varint(p, rec->value);
        size_t length = (size_t)(p - buf);
        BL_ASSERT(length <= hist_bin_record_bound(rec, names));
        return length;
    }
    *p++ = (uint8_t)(HIST_BIN_TAG_RECORD | rec->fn << 2 | rec->type);
    p = put_varint(p, (uint64_t)(rec->t_us - state->prev_t_us));
    state->prev_t_us = rec->t_us;
    p = put_varint(p, rec->node);
    uint64_t *prev = &state->prev_id[rec->fn][rec->type];
    switch ((hist_fn)rec->fn) {
    case HIST_SEND:
        if (rec->type == HIST_INVOKE) {
            BL_ASSERT(rec->count == 1 && rec->key >= HIST_NONE);
            p = put_varint(p, id_delta(rec->msg, *prev));
            *prev = rec->msg;
            p = put_varint(p, (uint64_t)(rec->key + 1));
            p = put_varint(p, rec->seq);
            p = put_varint(p, rec->topic);
            p = put_varint(p, zigzag(rec->t_us - rec->intended_t_us));
            break;
        }
        if (rec->type == HIST_OK) {
            p = put_varint(p, zigzag(rec->partition));
            p = put_varint(p, zigzag(rec->offset));
            p = put_ids(state, p, rec);
            break;
        }
        p = put_ids(state, p, rec);
        break;
    case HIST_DELIVER:
        p = put_varint(p, rec->group);
        p = put_varint(p, zigzag(rec->partition));
        p = put_varint(p, zigzag(rec->offset));
        p = put_varint(p, rec->redelivered);
        p = put_ids(state, p, rec);
        break;
    case HIST_DEDUP:
    case HIST_PROCESS:
        BL_ASSERT(rec->count == 1);
        p = put_varint(p, id_delta(rec->msg, *prev));
        *prev = rec->msg;
        p = put_varint(p, rec->group);
        break;
    case HIST_COMMIT:
        p = put_varint(p, rec->group);
        p = put_varint(p, zigzag(rec->partition));
        p = put_varint(p, zigzag(rec->offset));
        break;
    case HIST_FAULT:
        p = put_varint(p, rec->fault_kind);
        p = put_varint(p, rec->fault_target);
        p = put_varint(p, rec->phase);
        break;
    case HIST_REQUEST:
        BL_ASSERT(rec->count == 1);
        p = put_varint(p, id_delta(rec->msg, *prev));
        *prev = rec->msg;
        if (rec->type == HIST_INVOKE) p = put_varint(p, zigzag(rec->t_us - rec->intended_t_us));
        break;
    case HIST_SUBSCRIBE:
        p = put_varint(p, rec->group);
        p = put_varint(p, rec->topic);
        break;
    case HIST_STATS:
    case HIST_UNSUBSCRIBE:
    case HIST_FN_COUNT: BL_ASSERT(false);
    }
    size_t length = (size_t)(p - buf);
    BL_ASSERT(length <= hist_bin_record_bound(rec, names) && length <= HIST_BIN_RECORD_MAX);
    return length;
}

size_t hist_bin_trailer(uint64_t records, uint64_t batches, uint8_t *buf)
{
    uint8_t *p = buf;
    *p++ = HIST_BIN_TAG_END;
    p = put_varint(p, records);
    p = put_varint(p, batches);
    return (size_t)(p - buf);
}

/* ---- reader ---- */

typedef struct reader {
    const uint8_t *p, *end;
    const char *error; /* first error, or NULL */
} reader;

static uint64_t get_varint(reader *r)
{
    uint64_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            if (r->error == NULL) r->error = "truncated";
            return 0;
        }
        uint8_t byte = *r->p++;
        if (shift == 63 && byte > 1) break;
        value |= (uint64_t)(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) return value;
    }
    if (r->error == NULL) r->error = "integer longer than 64 bits";
    return 0;
}

static uint64_t get_bounded(reader *r, uint64_t max, const char *what)
{
    uint64_t value = get_varint(r);
    if (value > max && r->error == NULL) r->error = what;
    return value > max ? 0 : value;
}

static int64_t get_signed(reader *r)
{
    return unzigzag(get_varint(r));
}

/* An intended time, written as how long before the record's time it was: in [0, t]'s
 * neighbourhood only as far as int64 reaches (the JSONL reader takes 0..INT64_MAX). */
static int64_t get_intended(reader *r, int64_t t_us)
{
    int64_t before_us = get_signed(r), intended_us;
    if (__builtin_sub_overflow(t_us, before_us, &intended_us) || intended_us < 0) {
        if (r->error == NULL) r->error = "intended time out of range";
        return 0;
    }
    return intended_us;
}

static uint16_t get_name(reader *r, const hist_bin_state *state)
{
    uint64_t index = get_bounded(r, HIST_NAMES_MAX - 1, "name index out of range");
    if (r->error == NULL && !state->name_known[index]) r->error = "name used before it was defined";
    return (uint16_t)index;
}

/* The length of the UTF-8 sequence at p (at most `left` bytes), or 0 if it is not one
 * (overlong forms, surrogates and code points above U+10FFFF are not): a name must be
 * text the JSONL can carry as it is. */
static size_t utf8_sequence_length(const uint8_t *p, size_t left)
{
    uint8_t lead = p[0];
    if (lead < 0x80) return 1;
    size_t length = lead >= 0xc2 && lead <= 0xdf   ? 2
                    : lead >= 0xe0 && lead <= 0xef ? 3
                    : lead >= 0xf0 && lead <= 0xf4 ? 4
                                                   : 0;
    if (length == 0 || length > left) return 0;
    for (size_t i = 1; i < length; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    if (lead == 0xe0 && p[1] < 0xa0) return 0;  /* overlong */
    if (lead == 0xed && p[1] >= 0xa0) return 0; /* a surrogate */
    if (lead == 0xf0 && p[1] < 0x90) return 0;  /* overlong */
    if (lead == 0xf4 && p[1] >= 0x90) return 0; /* above U+10FFFF */
    return length;
}

/* A name as the JSONL reader takes one (history_json.c get_name): 1 byte or more, no
 * control character, UTF-8. */
static void read_name(reader *r, hist_bin_state *state, hist_names *names)
{
    uint64_t index = get_bounded(r, HIST_NAMES_MAX - 1, "name index out of range");
    uint64_t length = get_bounded(r, HIST_LONG_NAME_LEN - 1, "name longer than the name limit");
    if (r->error != NULL) return;
    if ((uint64_t)(r->end - r->p) < length) {
        r->error = "truncated";
        return;
    }
    if (length == 0) {
        r->error = "empty name";
        return;
    }
    for (uint64_t i = 0; i < length;) {
        if (r->p[i] < 0x20 || r->p[i] == 0x7f) {
            r->error = "control character in a name";
            return;
        }
        size_t sequence = utf8_sequence_length(r->p + i, (size_t)(length - i));
        if (sequence == 0) {
            r->error = "a name is not UTF-8";
            return;
        }
        i += sequence;
    }
    if (!hist_names_set(names, (uint32_t)index, (const char *)r->p, (size_t)length)) {
        r->error = "too many distinct long names";
        return;
    }
    state->name_known[index] = 1;
    r->p += length;
}

static void get_ids(reader *r, hist_bin_state *state, hist_record *rec, uint64_t *ids)
{
    uint64_t count = get_varint(r);
    if (r->error != NULL) return;
    if (count < 1 || count > HIST_BATCH_MAX) {
        r->error = "batch count out of range";
        return;
    }
    uint64_t *prev = &state->prev_id[rec->fn][rec->type];
    for (uint64_t i = 0; i < count && r->error == NULL; i++) {
        ids[i] = *prev + (uint64_t)get_signed(r);
        *prev = ids[i];
        if (ids[i] == 0 || ids[i] > (uint64_t)INT64_MAX) r->error = "message id out of range";
    }
    rec->count = (uint32_t)count;
    rec->msg = ids[0];
    rec->msgs = count > 1 ? ids : NULL;
}

static void get_single_id(reader *r, hist_bin_state *state, hist_record *rec)
{
    uint64_t *prev = &state->prev_id[rec->fn][rec->type];
    rec->msg = *prev + (uint64_t)get_signed(r);
    *prev = rec->msg;
    if (r->error == NULL && (rec->msg == 0 || rec->msg > (uint64_t)INT64_MAX))
        r->error = "message id out of range";
}

static int32_t get_partition(reader *r)
{
    int64_t partition = get_signed(r);
    if (r->error == NULL && (partition < HIST_NONE || partition > INT32_MAX))
        r->error = "partition out of range";
    return (int32_t)partition;
}

static void read_fields(reader *r, hist_bin_state *state, hist_record *rec, uint64_t *ids)
{
    switch ((hist_fn)rec->fn) {
    case HIST_SEND:
        if (rec->type == HIST_INVOKE) {
            get_single_id(r, state, rec);
            rec->key = (int64_t)get_bounded(r, (uint64_t)INT64_MAX, "key out of range") - 1;
            rec->seq = (uint32_t)get_bounded(r, UINT32_MAX, "seq out of range");
            rec->topic = get_name(r, state);
            rec->intended_t_us = get_intended(r, rec->t_us);
            return;
        }
        if (rec->type == HIST_OK) {
            rec->partition = get_partition(r);
            rec->offset = get_signed(r);
            get_ids(r, state, rec, ids);
            return;
        }
        get_ids(r, state, rec, ids);
        return;
    case HIST_DELIVER:
        rec->group = get_name(r, state);
        rec->partition = get_partition(r);
        rec->offset = get_signed(r);
        rec->redelivered = (uint8_t)get_bounded(r, 1, "redelivered is not 0 or 1");
        get_ids(r, state, rec, ids);
        return;
    case HIST_DEDUP:
    case HIST_PROCESS:
        get_single_id(r, state, rec);
        rec->group = get_name(r, state);
        return;
    case HIST_COMMIT:
        rec->group = get_name(r, state);
        rec->partition = get_partition(r);
        rec->offset = get_signed(r);
        return;
    case HIST_FAULT:
        rec->fault_kind = get_name(r, state);
        rec->fault_target = get_name(r, state);
        rec->phase = (uint8_t)get_bounded(r, HIST_PHASE_STOP, "fault phase out of range");
        return;
    case HIST_REQUEST:
        get_single_id(r, state, rec);
        if (rec->type == HIST_INVOKE) rec->intended_t_us = get_intended(r, rec->t_us);
        return;
    case HIST_SUBSCRIBE:
        rec->group = get_name(r, state);
        rec->topic = get_name(r, state);
        return;
    case HIST_STATS:
    case HIST_UNSUBSCRIBE:
    case HIST_FN_COUNT: break;
    }
    r->error = "unknown record kind";
}

/* A record's time: the delta from the previous record's, checked against overflow.
 * Returns -1 (r->error set) when it is not a time. */
static int64_t get_record_time(reader *r, const hist_bin_state *state)
{
    uint64_t dt_us = get_varint(r);
    if (r->error == NULL && dt_us > (uint64_t)(INT64_MAX - state->prev_t_us))
        r->error = "time out of range";
    return r->error != NULL ? -1 : state->prev_t_us + (int64_t)dt_us;
}

hist_bin_status hist_bin_decode(hist_bin_state *state, const uint8_t *buf, size_t length,
                                hist_record *rec, uint64_t *ids, hist_names *names,
                                uint64_t trailer[2], size_t *used, char why[160])
{
    reader r = {.p = buf, .end = buf + length};
    for (;;) {
        if (r.p >= r.end) {
            snprintf(why, 160, "truncated: the stream ends without its trailer");
            return HIST_BIN_ERROR;
        }
        uint8_t tag = *r.p++;
        if (tag == HIST_BIN_TAG_NAME) {
            read_name(&r, state, names);
            if (r.error != NULL) break;
            continue;
        }
        if (tag == HIST_BIN_TAG_END) {
            trailer[0] = get_varint(&r);
            trailer[1] = get_varint(&r);
            if (r.error != NULL) break;
            *used = (size_t)(r.p - buf);
            return HIST_BIN_END;
        }
        if (tag == HIST_BIN_TAG_DEATH) {
            if (state->death_reason != HIST_DEATH_NONE) {
                snprintf(why, 160, "two death items for one record");
                return HIST_BIN_ERROR;
            }
            uint64_t reason = get_varint(&r);
            if (r.error == NULL && (reason == HIST_DEATH_NONE || reason >= HIST_DEATH_COUNT))
                r.error = "death reason out of range";
            uint16_t group = get_name(&r, state);
            if (r.error != NULL) break;
            state->death_reason = (uint8_t)reason;
            state->death_group = group;
            continue;
        }
        if (tag == HIST_BIN_TAG_FROM_NOW) {
            if (state->from_now) {
                snprintf(why, 160, "two from_now items for one record");
                return HIST_BIN_ERROR;
            }
            state->from_now = 1;
            continue;
        }
        if (tag == HIST_BIN_TAG_UNSUBSCRIBE) {
            if (state->death_reason != HIST_DEATH_NONE || state->from_now) {
                snprintf(why, 160, "a death or from_now item before an unsubscribe record");
                return HIST_BIN_ERROR;
            }
            int64_t t_us = get_record_time(&r, state);
            if (r.error != NULL) break;
            *rec = hist_record_init(HIST_UNSUBSCRIBE, HIST_OK, 0, t_us);
            rec->node = get_name(&r, state);
            rec->group = get_name(&r, state);
            rec->topic = get_name(&r, state);
            if (r.error != NULL) break;
            state->prev_t_us = rec->t_us;
            *used = (size_t)(r.p - buf);
            return HIST_BIN_RECORD;
        }
        if (tag == HIST_BIN_TAG_STATS) {
            if (state->death_reason != HIST_DEATH_NONE || state->from_now) {
                snprintf(why, 160, "a death item before a stats record");
                return HIST_BIN_ERROR;
            }
            int64_t t_us = get_record_time(&r, state);
            if (r.error != NULL) break;
            *rec = hist_record_init(HIST_STATS, HIST_OK, 0, t_us);
            rec->node = get_name(&r, state);
            rec->group = get_name(&r, state);
            rec->partition = (int32_t)get_bounded(&r, INT32_MAX, "partition out of range");
            rec->source = get_name(&r, state);
            rec->counter = get_name(&r, state);
            rec->value = get_bounded(&r, (uint64_t)INT64_MAX, "value out of range");
            if (r.error != NULL) break;
            state->prev_t_us = rec->t_us;
            *used = (size_t)(r.p - buf);
            return HIST_BIN_RECORD;
        }
        if ((tag & 0xe0) != HIST_BIN_TAG_RECORD) {
            snprintf(why, 160, "unknown item tag 0x%02x", tag);
            return HIST_BIN_ERROR;
        }
        unsigned fn = (tag >> 2) & 7u, type = tag & 3u;
        if (!hist_type_allowed(fn, type)) {
            snprintf(why, 160, "record kind %s %s is not in the format", hist_fn_name((hist_fn)fn),
                     hist_type_name((hist_type)type));
            return HIST_BIN_ERROR;
        }
        int64_t t_us = get_record_time(&r, state);
        if (r.error != NULL) break; /* not a time to add */
        *rec = hist_record_init((hist_fn)fn, (hist_type)type, 0, t_us);
        rec->node = get_name(&r, state);
        read_fields(&r, state, rec, ids);
        if (r.error != NULL) break;
        if (state->death_reason != HIST_DEATH_NONE) {
            if (rec->fn != HIST_DELIVER && rec->fn != HIST_DEDUP && rec->fn != HIST_PROCESS) {
                snprintf(why, 160, "a death item before a %s record", hist_fn_name((hist_fn)fn));
                return HIST_BIN_ERROR;
            }
            rec->death_reason = state->death_reason;
            rec->death_group = state->death_group;
            state->death_reason = HIST_DEATH_NONE;
        }
        if (state->from_now) {
            if (rec->fn != HIST_SUBSCRIBE) {
                snprintf(why, 160, "a from_now item before a %s record", hist_fn_name((hist_fn)fn));
                return HIST_BIN_ERROR;
            }
            rec->from_now = 1;
            state->from_now = 0;
        }
        if (rec->fn == HIST_SEND && rec->type == HIST_INVOKE && rec->intended_t_us < 0) {
            snprintf(why, 160, "intended_t before the start of the run");
            return HIST_BIN_ERROR;
        }
        state->prev_t_us = rec->t_us;
        *used = (size_t)(r.p - buf);
        return HIST_BIN_RECORD;
    }
    snprintf(why, 160, "%s", r.error);
    return HIST_BIN_ERROR;
}
