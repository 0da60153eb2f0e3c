/* test_history_json.c — unit tests of history.jsonl lines (engine/history_json.c) and
 * the name table: exact bytes for a few records, format → parse round trip of every
 * record kind, and the reader's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../engine/history.h"

static hist_names *g_names;

static int setup(void **unused)
{
    (void)unused;
    g_names = calloc(1, sizeof *g_names);
    return g_names == NULL;
}

static int teardown(void **unused)
{
    (void)unused;
    free(g_names);
    return 0;
}

static uint16_t name(const char *text)
{
    return hist_names_intern(g_names, text);
}

static void assert_same_record(const hist_record *a, const hist_record *b)
{
    assert_int_equal(a->t_us, b->t_us);
    assert_int_equal(a->intended_t_us, b->intended_t_us);
    assert_int_equal(a->offset, b->offset);
    assert_int_equal(a->msg, b->msg);
    assert_int_equal(a->key, b->key);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->partition, b->partition);
    assert_int_equal(a->node, b->node);
    assert_int_equal(a->topic, b->topic);
    assert_int_equal(a->group, b->group);
    assert_int_equal(a->fault_kind, b->fault_kind);
    assert_int_equal(a->fault_target, b->fault_target);
    assert_int_equal(a->fn, b->fn);
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->redelivered, b->redelivered);
    assert_int_equal(a->phase, b->phase);
    assert_int_equal(a->death_reason, b->death_reason);
    assert_int_equal(a->death_group, b->death_group);
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->counter, b->counter);
    assert_int_equal(a->value, b->value);
    assert_int_equal(a->from_now, b->from_now);
}

static void assert_line(const hist_record *rec, const char *expected)
{
    char buf[HIST_LINE_MAX];
    size_t length = hist_format_line(rec, g_names, buf);
    assert_int_equal(length, strlen(expected));
    assert_string_equal(buf, expected);
}

/* ---- one record of every kind ---- */

static hist_record send_invoke(int64_t key)
{
    hist_record rec = hist_record_init(HIST_SEND, HIST_INVOKE, name("producer/checkout/0"), 1500);
    rec.msg = 17;
    rec.key = key;
    rec.seq = 3;
    rec.topic = name("orders");
    rec.intended_t_us = 1000;
    return rec;
}

static hist_record send_done(hist_type type, int64_t offset)
{
    hist_record rec = hist_record_init(HIST_SEND, type, name("producer/checkout/0"), 2500);
    rec.msg = 17;
    if (type == HIST_OK) {
        rec.partition = 2;
        rec.offset = offset;
    }
    return rec;
}

static hist_record deliver(bool redelivered)
{
    hist_record rec = hist_record_init(HIST_DELIVER, HIST_OK, name("consumer/billing/1"), 3000);
    rec.msg = 17;
    rec.group = name("billing");
    rec.partition = 2;
    rec.offset = 41;
    rec.redelivered = redelivered;
    return rec;
}

static hist_record msg_group(hist_fn fn)
{
    hist_record rec = hist_record_init(fn, HIST_OK, name("consumer/billing/1"), 3100);
    rec.msg = 17;
    rec.group = name("billing");
    return rec;
}

static hist_record commit(hist_type type)
{
    hist_record rec = hist_record_init(HIST_COMMIT, type, name("consumer/billing/1"), 5000000);
    rec.group = name("billing");
    rec.partition = 0;
    rec.offset = 1234;
    return rec;
}

static hist_record fault(hist_phase phase)
{
    hist_record rec = hist_record_init(HIST_FAULT, HIST_INFO, name("nemesis"), 45000000);
    rec.fault_kind = name("crash");
    rec.fault_target = name("broker/1");
    rec.phase = (uint8_t)phase;
    return rec;
}

static hist_record request(hist_type type)
{
    hist_record rec = hist_record_init(HIST_REQUEST, type, name("producer/app/0"), 7000);
    rec.msg = 9;
    if (type == HIST_INVOKE) rec.intended_t_us = 6500;
    return rec;
}

static hist_record subscribe(void)
{
    hist_record rec = hist_record_init(HIST_SUBSCRIBE, HIST_OK, name("consumer/billing/0"), 0);
    rec.group = name("billing");
    rec.topic = name("orders");
    return rec;
}

/* A dead letter's process by the parking group's consumer (RabbitMQ). */
static hist_record dead_letter(void)
{
    hist_record rec = hist_record_init(HIST_PROCESS, HIST_OK, name("consumer/parking/0"), 3200);
    rec.msg = 17;
    rec.group = name("parking");
    rec.death_reason = HIST_DEATH_EXPIRED;
    rec.death_group = name("billing");
    return rec;
}

static hist_record stats(void)
{
    hist_record rec = hist_record_init(HIST_STATS, HIST_OK, name("monitor"), 15000000);
    rec.group = name("billing");
    rec.partition = 0;
    rec.source = name("broker/0");
    rec.counter = name("expired");
    rec.value = 1951;
    return rec;
}

static size_t all_records(hist_record out[32])
{
    size_t n = 0;
    out[n++] = send_invoke(5);
    out[n++] = send_invoke(HIST_NONE);
    out[n++] = send_done(HIST_OK, 41);
    out[n++] = send_done(HIST_OK, -1); /* acks=0 */
    out[n++] = send_done(HIST_FAIL, 0);
    out[n++] = send_done(HIST_INFO, 0);
    out[n++] = deliver(false);
    out[n++] = deliver(true);
    out[n++] = msg_group(HIST_DEDUP);
    out[n++] = msg_group(HIST_PROCESS);
    for (int type = HIST_INVOKE; type <= HIST_INFO; type++) out[n++] = commit((hist_type)type);
    out[n++] = fault(HIST_PHASE_START);
    out[n++] = fault(HIST_PHASE_STOP);
    out[n++] = request(HIST_INVOKE);
    out[n++] = request(HIST_OK);
    out[n++] = subscribe();
    out[n++] = dead_letter();
    out[n++] = stats();
    hist_record joined = subscribe();
    joined.from_now = 1;
    out[n++] = joined;
    hist_record left = subscribe();
    left.fn = HIST_UNSUBSCRIBE;
    out[n++] = left;
    return n;
}

/* The exact bytes of a few records: field order, null key, booleans, -1 offset. */
static void test_exact_lines(void **unused)
{
    (void)unused;
    hist_record rec = send_invoke(5);
    assert_line(&rec, "{\"t\":1500,\"node\":\"producer/checkout/0\",\"f\":\"send\","
                      "\"type\":\"invoke\",\"msg\":17,\"key\":5,\"seq\":3,\"topic\":\"orders\","
                      "\"intended_t\":1000}\n");
    rec = send_invoke(HIST_NONE);
    assert_line(&rec, "{\"t\":1500,\"node\":\"producer/checkout/0\",\"f\":\"send\","
                      "\"type\":\"invoke\",\"msg\":17,\"key\":null,\"seq\":3,"
                      "\"topic\":\"orders\",\"intended_t\":1000}\n");
    rec = send_done(HIST_OK, -1);
    assert_line(&rec, "{\"t\":2500,\"node\":\"producer/checkout/0\",\"f\":\"send\","
                      "\"type\":\"ok\",\"msg\":17,\"partition\":2,\"offset\":-1}\n");
    rec = send_done(HIST_INFO, 0);
    assert_line(&rec, "{\"t\":2500,\"node\":\"producer/checkout/0\",\"f\":\"send\","
                      "\"type\":\"info\",\"msg\":17}\n");
    rec = deliver(true);
    assert_line(&rec, "{\"t\":3000,\"node\":\"consumer/billing/1\",\"f\":\"deliver\","
                      "\"type\":\"ok\",\"msg\":17,\"group\":\"billing\",\"partition\":2,"
                      "\"offset\":41,\"redelivered\":true}\n");
    rec = msg_group(HIST_PROCESS);
    assert_line(&rec, "{\"t\":3100,\"node\":\"consumer/billing/1\",\"f\":\"process\","
                      "\"type\":\"ok\",\"msg\":17,\"group\":\"billing\"}\n");
    rec = commit(HIST_FAIL);
    assert_line(&rec, "{\"t\":5000000,\"node\":\"consumer/billing/1\",\"f\":\"commit\","
                      "\"type\":\"fail\",\"group\":\"billing\",\"partition\":0,\"offset\":1234}\n");
    rec = fault(HIST_PHASE_START);
    assert_line(&rec, "{\"t\":45000000,\"node\":\"nemesis\",\"f\":\"fault\",\"type\":\"info\","
                      "\"kind\":\"crash\",\"target\":\"broker/1\",\"phase\":\"start\"}\n");
    rec = request(HIST_INVOKE);
    assert_line(&rec, "{\"t\":7000,\"node\":\"producer/app/0\",\"f\":\"request\","
                      "\"type\":\"invoke\",\"req\":9,\"intended_t\":6500}\n");
    rec = request(HIST_OK);
    assert_line(&rec, "{\"t\":7000,\"node\":\"producer/app/0\",\"f\":\"request\",\"type\":\"ok\","
                      "\"req\":9}\n");
    rec = subscribe();
    assert_line(&rec, "{\"t\":0,\"node\":\"consumer/billing/0\",\"f\":\"subscribe\","
                      "\"type\":\"ok\",\"group\":\"billing\",\"topic\":\"orders\"}\n");
    rec = dead_letter();
    assert_line(&rec, "{\"t\":3200,\"node\":\"consumer/parking/0\",\"f\":\"process\","
                      "\"type\":\"ok\",\"msg\":17,\"group\":\"parking\",\"death_reason\":"
                      "\"expired\",\"death_group\":\"billing\"}\n");
    rec = stats();
    assert_line(&rec, "{\"t\":15000000,\"node\":\"monitor\",\"f\":\"stats\",\"type\":\"ok\","
                      "\"group\":\"billing\",\"partition\":0,\"source\":\"broker/0\","
                      "\"counter\":\"expired\",\"value\":1951}\n");
}

/* format → parse gives the record back, into the same table and into a fresh one (where
 * formatting the parsed record again gives the same bytes). */
static void test_round_trip_every_kind(void **unused)
{
    (void)unused;
    hist_record records[32];
    size_t count = all_records(records);
    hist_names *fresh = calloc(1, sizeof *fresh);
    assert_non_null(fresh);
    for (size_t i = 0; i < count; i++) {
        char line[HIST_LINE_MAX], again[HIST_LINE_MAX], why[160] = "";
        size_t length = hist_format_line(&records[i], g_names, line);
        assert_int_equal(line[length - 1], '\n');
        hist_record parsed;
        if (!hist_parse_line(line, &parsed, g_names, why)) fail_msg("%s: %s", line, why);
        assert_same_record(&records[i], &parsed);
        hist_record other;
        if (!hist_parse_line(line, &other, fresh, why)) fail_msg("%s: %s", line, why);
        hist_format_line(&other, fresh, again);
        assert_string_equal(line, again);
    }
    free(fresh);
}

/* Extreme values and names that need escaping survive the round trip. */
static void test_round_trip_extremes(void **unused)
{
    (void)unused;
    hist_record rec =
        hist_record_init(HIST_SEND, HIST_INVOKE, name("odd \"quoted\" \\ node"), INT64_MAX);
    rec.msg = (uint64_t)INT64_MAX;
    rec.key = INT64_MAX;
    rec.seq = UINT32_MAX;
    rec.topic = name("t/é");
    rec.intended_t_us = 0;
    char line[HIST_LINE_MAX], why[160] = "";
    hist_format_line(&rec, g_names, line);
    hist_record parsed;
    if (!hist_parse_line(line, &parsed, g_names, why)) fail_msg("%s: %s", line, why);
    assert_same_record(&rec, &parsed);
    assert_string_equal(g_names->names[parsed.node], "odd \"quoted\" \\ node");
    hist_record deliver_rec = deliver(false);
    deliver_rec.partition = INT32_MAX;
    deliver_rec.offset = INT64_MIN;
    hist_format_line(&deliver_rec, g_names, line);
    assert_true(hist_parse_line(line, &parsed, g_names, why));
    assert_same_record(&deliver_rec, &parsed);
}

/* Whitespace and unknown fields (the format grows by adding fields) are accepted. */
static void test_parse_tolerates_additions(void **unused)
{
    (void)unused;
    const char *line = "{ \"t\": 5, \"node\": \"consumer/billing/0\", \"f\": \"process\", "
                       "\"type\": \"ok\", \"msg\": 3, \"group\": \"billing\", \"future\": [1] }";
    hist_record rec;
    char why[160] = "";
    if (!hist_parse_line(line, &rec, g_names, why)) fail_msg("%s", why);
    assert_int_equal(rec.fn, HIST_PROCESS);
    assert_int_equal(rec.msg, 3);
    assert_string_equal(g_names->names[rec.group], "billing");
    /* a \u escape (read by the jansson path) names the same node as the plain text */
    const char *escaped = "{\"t\":5,\"node\":\"\\u0063onsumer/billing/0\",\"f\":\"process\","
                          "\"type\":\"ok\",\"msg\":3,\"group\":\"billing\"}";
    hist_record again;
    if (!hist_parse_line(escaped, &again, g_names, why)) fail_msg("%s", why);
    assert_int_equal(again.node, rec.node);
}

static void assert_parse_error(const char *line, const char *reason_part)
{
    hist_record rec;
    char why[160] = "";
    if (hist_parse_line(line, &rec, g_names, why)) fail_msg("accepted: %s", line);
    if (strstr(why, reason_part) == NULL) fail_msg("reason '%s' lacks '%s'", why, reason_part);
}

static void test_parse_errors(void **unused)
{
    (void)unused;
    assert_parse_error("{\"t\":1,", "not a JSON object");
    assert_parse_error("{\"t\":1,\"t\":2,\"node\":\"n\",\"f\":\"dedup\",\"type\":\"ok\"}",
                       "duplicate");
    assert_parse_error("{\"t\":1} x", "not a JSON object");
    assert_parse_error("[1,2]", "expected a JSON object");
    assert_parse_error("{\"node\":\"n\",\"f\":\"send\",\"type\":\"ok\",\"msg\":1}",
                       "\"t\": missing");
    assert_parse_error("{\"t\":-1,\"node\":\"n\",\"f\":\"dedup\",\"type\":\"ok\"}",
                       "\"t\": out of range");
    assert_parse_error("{\"t\":1,\"node\":\"n\",\"f\":\"poll\",\"type\":\"ok\"}", "\"f\": unknown");
    assert_parse_error("{\"t\":1,\"node\":\"n\",\"f\":\"deliver\",\"type\":\"fail\"}",
                       "has no type");
    assert_parse_error("{\"t\":1,\"node\":\"n\",\"f\":\"send\",\"type\":\"ok\",\"msg\":0,"
                       "\"partition\":0,\"offset\":0}",
                       "\"msg\": out of range");
    assert_parse_error("{\"t\":1,\"node\":\"n\",\"f\":\"send\",\"type\":\"invoke\",\"msg\":1,"
                       "\"key\":\"k\",\"seq\":0,\"topic\":\"o\",\"intended_t\":0}",
                       "\"key\": expected an integer");
    assert_parse_error("{\"t\":1,\"node\":\"n\",\"f\":\"deliver\",\"type\":\"ok\",\"msg\":1,"
                       "\"group\":\"g\",\"partition\":0,\"offset\":0,\"redelivered\":1}",
                       "\"redelivered\": expected true or false");
    assert_parse_error("{\"t\":1,\"node\":\"\",\"f\":\"dedup\",\"type\":\"ok\"}",
                       "\"node\": bad name");
    assert_parse_error("{\"t\":1.5,\"node\":\"n\",\"f\":\"dedup\",\"type\":\"ok\"}",
                       "\"t\": expected an integer");
}

/* A fault target listing many nodes is written whole (it used to be cut at a table
 * row's 96 bytes with "...") and parses back to the same name; only `target` may be
 * that long. */
static void test_long_target(void **unused)
{
    (void)unused;
    char target[4096];
    size_t used = (size_t)snprintf(target, sizeof target, "broker/0 <-> ");
    for (int i = 0; i < 60; i++)
        used += (size_t)snprintf(target + used, sizeof target - used, "%sproducer/shop/%d",
                                 i ? "," : "", i);
    assert_true(used > 4 * HIST_NAME_LEN);
    hist_record rec = hist_record_init(HIST_FAULT, HIST_INFO, name("nemesis"), 5000000);
    rec.fault_kind = name("partition");
    rec.fault_target = name(target);
    rec.phase = HIST_PHASE_START;
    size_t bound = hist_line_bound(&rec, g_names);
    assert_true(bound > HIST_LINE_MAX + used);
    char *line = malloc(bound);
    assert_non_null(line);
    size_t length = hist_format_line(&rec, g_names, line);
    assert_true(length < bound);
    assert_non_null(strstr(line, target));
    assert_null(strstr(line, "..."));
    hist_names *fresh = calloc(1, sizeof *fresh);
    assert_non_null(fresh);
    hist_record parsed;
    char why[160] = "";
    assert_true(hist_parse_line(line, &parsed, fresh, why));
    assert_string_equal(hist_name(fresh, parsed.fault_target), target);
    /* A node name that long is no name. */
    char *bad = malloc(bound + 64);
    assert_non_null(bad);
    snprintf(bad, bound + 64, "{\"t\":1,\"node\":\"%s\",\"f\":\"dedup\",\"type\":\"ok\"}", target);
    assert_false(hist_parse_line(bad, &parsed, fresh, why));
    assert_non_null(strstr(why, "\"node\": bad name length"));
    free(bad);
    free(fresh);
    free(line);
}

/* Interning is idempotent, indices follow first use, find reports absence. */
static void test_names(void **unused)
{
    (void)unused;
    assert_int_equal(name("a"), 0);
    assert_int_equal(name("b"), 1);
    assert_int_equal(name("a"), 0);
    assert_int_equal(hist_names_find(g_names, "b"), 1);
    assert_int_equal(hist_names_find(g_names, "c"), -1);
    char text[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof text, "producer/p/%d", i);
        assert_int_equal(name(text), i + 2);
    }
    assert_int_equal(hist_names_find(g_names, "producer/p/2999"), 3001);
    /* a second table at another address answers from its own contents */
    hist_names *other = calloc(1, sizeof *other);
    assert_non_null(other);
    assert_int_equal(hist_names_intern(other, "producer/p/7"), 0);
    assert_int_equal(hist_names_find(g_names, "producer/p/7"), 9);
    assert_int_equal(hist_names_find(other, "producer/p/7"), 0);
    /* a table reset in place is not confused by what the old contents were */
    memset(other, 0, sizeof *other);
    assert_int_equal(hist_names_find(other, "producer/p/7"), -1);
    assert_int_equal(hist_names_intern(other, "x"), 0);
    free(other);
    assert_string_equal(hist_fn_name(HIST_SUBSCRIBE), "subscribe");
    assert_string_equal(hist_type_name(HIST_INFO), "info");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_every_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_extremes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_tolerates_additions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
