/* test_history_binary.c — unit tests of the compact history (engine/history_binary.c):
 * encode → decode gives every record kind back, batches included, names travel once,
 * a name longer than a table row (a network fault's target) travels whole, and the
 * decoder reports (never asserts) a cut, a wrong tag, an undefined name, a batch count
 * out of range and a trailer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../engine/history_binary.h"

typedef struct fixture {
    hist_names names;      /* the writer's */
    hist_names read_names; /* the reader's */
    hist_bin_state writer, reader;
    uint8_t buf[1 << 16];
    uint64_t ids[HIST_BATCH_MAX];
} fixture;

static int setup(void **state)
{
    *state = calloc(1, sizeof(fixture));
    return *state == NULL;
}

static int teardown(void **state)
{
    free(*state);
    return 0;
}

/* The records of a small run: every f/type pair the format has, two batches. */
static uint32_t sample_records(hist_names *names, hist_record *out, uint64_t *batch_ids)
{
    uint16_t producer = hist_names_intern(names, "producer/app/0");
    uint16_t consumer = hist_names_intern(names, "consumer/g/0");
    uint16_t topic = hist_names_intern(names, "events");
    uint16_t group = hist_names_intern(names, "g");
    uint16_t nemesis = hist_names_intern(names, "nemesis");
    uint32_t n = 0;
    out[n] = hist_record_init(HIST_SUBSCRIBE, HIST_OK, consumer, 0);
    out[n].group = group, out[n].topic = topic, n++;
    for (uint64_t m = 1; m <= 3; m++) {
        out[n] = hist_record_init(HIST_SEND, HIST_INVOKE, producer, (int64_t)(10 * m));
        out[n].msg = m, out[n].key = m == 2 ? HIST_NONE : (int64_t)(m * 7),
        out[n].seq = (uint32_t)m;
        out[n].topic = topic, out[n].intended_t_us = (int64_t)(10 * m - 1), n++;
    }
    batch_ids[0] = 1, batch_ids[1] = 3;
    out[n] = hist_record_init(HIST_SEND, HIST_OK, producer, 50);
    out[n].msg = 1, out[n].count = 2, out[n].msgs = batch_ids, out[n].partition = 2,
    out[n].offset = 40, n++;
    out[n] = hist_record_init(HIST_SEND, HIST_INFO, producer, 50);
    out[n].msg = 2, n++;
    out[n] = hist_record_init(HIST_DELIVER, HIST_OK, consumer, 60);
    out[n].msg = 1, out[n].count = 2, out[n].msgs = batch_ids, out[n].group = group;
    out[n].partition = 2, out[n].offset = 40, out[n].redelivered = 1, n++;
    out[n] = hist_record_init(HIST_PROCESS, HIST_OK, consumer, 70);
    out[n].msg = 3, out[n].group = group, n++;
    out[n] = hist_record_init(HIST_DEDUP, HIST_OK, consumer, 71);
    out[n].msg = 1, out[n].group = group, n++;
    out[n] = hist_record_init(HIST_COMMIT, HIST_FAIL, consumer, 80);
    out[n].group = group, out[n].partition = 2, out[n].offset = 42, n++;
    out[n] = hist_record_init(HIST_FAULT, HIST_INFO, nemesis, 90);
    out[n].fault_kind = hist_names_intern(names, "crash");
    out[n].fault_target = hist_names_intern(names, "broker/1"), out[n].phase = HIST_PHASE_STOP, n++;
    out[n] = hist_record_init(HIST_REQUEST, HIST_INVOKE, producer, 95);
    out[n].msg = 9, out[n].intended_t_us = 90, n++;
    out[n] = hist_record_init(HIST_REQUEST, HIST_OK, producer, 99);
    out[n].msg = 9, n++;
    /* a dead letter's deliver and process (RabbitMQ), and a metrics scrape */
    uint16_t parking = hist_names_intern(names, "parking");
    out[n] = hist_record_init(HIST_DELIVER, HIST_OK, consumer, 100);
    out[n].msg = 3, out[n].group = parking, out[n].partition = 0, out[n].offset = 1;
    out[n].death_reason = HIST_DEATH_EXPIRED, out[n].death_group = group, n++;
    out[n] = hist_record_init(HIST_PROCESS, HIST_OK, consumer, 101);
    out[n].msg = 3, out[n].group = parking;
    out[n].death_reason = HIST_DEATH_MAXLEN, out[n].death_group = group, n++;
    out[n] = hist_record_init(HIST_STATS, HIST_OK, hist_names_intern(names, "monitor"), 102);
    out[n].group = group, out[n].partition = 3,
    out[n].source = hist_names_intern(names, "broker/0");
    out[n].counter = hist_names_intern(names, "expired"), out[n].value = 1234567, n++;
    /* a group joining from now on, and one leaving */
    out[n] = hist_record_init(HIST_SUBSCRIBE, HIST_OK, consumer, 103);
    out[n].group = parking, out[n].topic = topic, out[n].from_now = 1, n++;
    out[n] = hist_record_init(HIST_UNSUBSCRIBE, HIST_OK, consumer, 104);
    out[n].group = group, out[n].topic = topic, n++;
    return n;
}

/* Builds the sample records into records[] (their batches' ids into batch_ids[2]),
 * encodes them into f->buf and returns the bytes written; *count is the records. */
static size_t encode_sample(fixture *f, hist_record *records, uint64_t *batch_ids, uint32_t *count)
{
    *count = sample_records(&f->names, records, batch_ids);
    size_t length = 0;
    for (uint32_t i = 0; i < *count; i++)
        length += hist_bin_encode(&f->writer, &records[i], &f->names, f->buf + length);
    return length;
}

static void round_trip(void **state)
{
    fixture *f = *state;
    hist_record records[32];
    uint64_t batch_ids[2];
    uint32_t count = 0;
    size_t length = encode_sample(f, records, batch_ids, &count);
    length += hist_bin_trailer(7, count, f->buf + length);
    size_t at = 0;
    char why[160];
    for (uint32_t i = 0; i < count; i++) {
        hist_record got;
        uint64_t trailer[2];
        size_t used = 0;
        assert_int_equal(hist_bin_decode(&f->reader, f->buf + at, length - at, &got, f->ids,
                                         &f->read_names, trailer, &used, why),
                         HIST_BIN_RECORD);
        at += used;
        const hist_record *want = &records[i];
        assert_int_equal(got.t_us, want->t_us);
        assert_int_equal(got.fn, want->fn);
        assert_int_equal(got.type, want->type);
        assert_int_equal(got.count, want->count);
        for (uint32_t k = 0; k < want->count; k++) {
            hist_record a = hist_expand(&got, k), b = hist_expand(want, k);
            assert_int_equal(a.msg, b.msg);
            assert_int_equal(a.offset, b.offset);
            assert_int_equal(a.partition, b.partition);
            assert_int_equal(a.key, b.key);
            assert_int_equal(a.seq, b.seq);
            assert_int_equal(a.intended_t_us, b.intended_t_us);
            assert_int_equal(a.redelivered, b.redelivered);
            assert_int_equal(a.phase, b.phase);
            assert_string_equal(f->read_names.names[a.node], f->names.names[b.node]);
            if (b.fn == HIST_FAULT) {
                assert_string_equal(f->read_names.names[a.fault_kind],
                                    f->names.names[b.fault_kind]);
                assert_string_equal(f->read_names.names[a.fault_target],
                                    f->names.names[b.fault_target]);
            }
            if (b.fn == HIST_DELIVER || b.fn == HIST_PROCESS || b.fn == HIST_COMMIT ||
                b.fn == HIST_STATS)
                assert_string_equal(f->read_names.names[a.group], f->names.names[b.group]);
            assert_int_equal(a.death_reason, b.death_reason);
            assert_int_equal(a.from_now, b.from_now);
            if (b.fn == HIST_SUBSCRIBE || b.fn == HIST_UNSUBSCRIBE)
                assert_string_equal(f->read_names.names[a.topic], f->names.names[b.topic]);
            if (b.death_reason != HIST_DEATH_NONE)
                assert_string_equal(f->read_names.names[a.death_group],
                                    f->names.names[b.death_group]);
            if (b.fn == HIST_STATS) {
                assert_string_equal(f->read_names.names[a.source], f->names.names[b.source]);
                assert_string_equal(f->read_names.names[a.counter], f->names.names[b.counter]);
                assert_int_equal(a.value, b.value);
            }
        }
    }
    hist_record got;
    uint64_t trailer[2] = {0, 0};
    size_t used = 0;
    assert_int_equal(hist_bin_decode(&f->reader, f->buf + at, length - at, &got, f->ids,
                                     &f->read_names, trailer, &used, why),
                     HIST_BIN_END);
    assert_int_equal(trailer[0], 7);
    assert_int_equal(trailer[1], count);
    assert_int_equal(at + used, length);
}

/* Each name is sent once, before its first use: a second record using the same names is
 * much shorter than the first. */
static void names_once(void **state)
{
    fixture *f = *state;
    uint16_t node = hist_names_intern(&f->names, "consumer/a-long-group-name/0");
    uint16_t group = hist_names_intern(&f->names, "a-long-group-name");
    hist_record rec = hist_record_init(HIST_PROCESS, HIST_OK, node, 5);
    rec.msg = 1, rec.group = group;
    size_t first = hist_bin_encode(&f->writer, &rec, &f->names, f->buf);
    rec.msg = 2;
    size_t second = hist_bin_encode(&f->writer, &rec, &f->names, f->buf);
    assert_true(first > 40);
    assert_true(second <= 6);
}

/* The target of a partition between a hundred nodes: far beyond a table row. */
static char *long_target(void)
{
    size_t capacity = 100 * 40 + 16;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t used = (size_t)snprintf(text, capacity, "broker/0 <-> ");
    for (int i = 0; i < 100; i++)
        used += (size_t)snprintf(text + used, capacity - used, "%sconsumer/a-long-group/%d",
                                 i ? "," : "", i);
    assert_true(used > 20 * HIST_NAME_LEN && used < capacity);
    return text;
}

/* A fault record whose target is a long name: its bound covers it, it decodes whole,
 * and both tables read it through hist_name (their rows stay empty). */
static void long_name_whole(void **state)
{
    fixture *f = *state;
    char *target = long_target();
    hist_record rec =
        hist_record_init(HIST_FAULT, HIST_INFO, hist_names_intern(&f->names, "nemesis"), 95000000);
    rec.fault_kind = hist_names_intern(&f->names, "partition");
    rec.fault_target = hist_names_intern(&f->names, target);
    rec.phase = HIST_PHASE_START;
    assert_string_equal(hist_name(&f->names, rec.fault_target), target);
    assert_string_equal(f->names.names[rec.fault_target], "");
    assert_int_equal(hist_names_intern(&f->names, target), rec.fault_target);
    size_t bound = hist_bin_record_bound(&rec, &f->names);
    assert_true(bound > strlen(target) && bound <= HIST_BIN_RECORD_MAX);
    uint8_t *buf = malloc(bound + 32);
    assert_non_null(buf);
    size_t length = hist_bin_encode(&f->writer, &rec, &f->names, buf);
    assert_true(length <= bound);
    length += hist_bin_trailer(1, 1, buf + length);
    hist_record got;
    uint64_t trailer[2];
    size_t used = 0;
    char why[160] = "";
    assert_int_equal(
        hist_bin_decode(&f->reader, buf, length, &got, f->ids, &f->read_names, trailer, &used, why),
        HIST_BIN_RECORD);
    assert_int_equal(got.fn, HIST_FAULT);
    assert_string_equal(hist_name(&f->read_names, got.fault_target), target);
    assert_string_equal(hist_name(&f->read_names, got.fault_kind), "partition");
    free(buf);
    free(target);
}

static hist_bin_status decode_bytes(fixture *f, const uint8_t *bytes, size_t length, char why[160])
{
    hist_record rec;
    uint64_t trailer[2];
    size_t used = 0;
    memset(&f->reader, 0, sizeof f->reader);
    return hist_bin_decode(&f->reader, bytes, length, &rec, f->ids, &f->read_names, trailer, &used,
                           why);
}

static void errors_are_reported(void **state)
{
    fixture *f = *state;
    hist_record records[32];
    uint64_t batch_ids[2];
    uint32_t count = 0;
    size_t length = encode_sample(f, records, batch_ids, &count);
    char why[160];
    /* Cut inside the first record (after its name items). */
    assert_int_equal(decode_bytes(f, f->buf, 20, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "truncated"));
    /* An unknown tag. */
    const uint8_t bad_tag[] = {0x17, 0, 0};
    assert_int_equal(decode_bytes(f, bad_tag, sizeof bad_tag, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "unknown item tag"));
    /* A process record naming node 0 that was never defined. */
    const uint8_t undefined[] = {HIST_BIN_TAG_RECORD | HIST_PROCESS << 2 | HIST_OK, 0, 0, 2, 0};
    assert_int_equal(decode_bytes(f, undefined, sizeof undefined, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "before it was defined"));
    /* A kind the contract does not have (deliver info). */
    const uint8_t bad_kind[] = {HIST_BIN_TAG_RECORD | HIST_DELIVER << 2 | HIST_INFO, 0, 0};
    assert_int_equal(decode_bytes(f, bad_kind, sizeof bad_kind, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "not in the format"));
    /* A send fail of zero messages. */
    const uint8_t name_item[] = {HIST_BIN_TAG_NAME, 0, 1, 'p'};
    uint8_t zero[sizeof name_item + 4];
    memcpy(zero, name_item, sizeof name_item);
    const uint8_t fail_record[] = {HIST_BIN_TAG_RECORD | HIST_SEND << 2 | HIST_FAIL, 0, 0, 0};
    memcpy(zero + sizeof name_item, fail_record, sizeof fail_record);
    assert_int_equal(decode_bytes(f, zero, sizeof zero, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "batch count out of range"));
    /* No trailer: the stream just ends. */
    assert_int_equal(decode_bytes(f, f->buf + length, 0, why), HIST_BIN_ERROR);
    assert_non_null(strstr(why, "without its trailer"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(names_once, setup, teardown),
        cmocka_unit_test_setup_teardown(long_name_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_are_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
