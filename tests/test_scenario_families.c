/* test_scenario_families.c — the loader with two broker families: cluster.preset chooses
 * whose keys and selectors a scenario may use, a key of the other family is an error
 * naming it, defaults of the chosen family are applied, and the preset list in messages
 * covers every family. The second family is a stand-in defined here (a queue family with
 * a `confirm` producer key and a `master(NAME)` selector), so the test needs none of a
 * future family's code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../engine/bl_assert.h"
#include "../engine/schema.h"
#include "../models/kafka/kafka_options.h"
#include "../models/kafka/kafka_schema.h"

typedef struct queue_producer_options {
    bool confirm;
    int64_t confirm_timeout_us;
} queue_producer_options;

static const scn_field queue_producer_fields[] = {
    {SCN_AT("confirm", SCN_T_BOOL, queue_producer_options, confirm), .def = "true"},
    SCN_DURATION_FIELD("confirm_timeout", queue_producer_options, confirm_timeout_us, 1, "15s"),
};
static const scn_schema queue_producer_schema = SCN_SCHEMA(queue_producer_fields, NULL);

static bool queue_master_parse(scn_ctx *ctx, yaml_node_t *node, const char *text, char *arg,
                               scn_selector *selector)
{
    if (strcmp(arg, "q") != 0) {
        return scn_fail(ctx, node, "%s: unknown queue '%s' in '%s', expected q", ctx->where, arg,
                        text);
    }
    selector->family_args[0] = 7;
    return true;
}

static const scn_family_selector queue_selectors[] = {
    {.name = "master",
     .syntax = "master(QUEUE)",
     .kind = 3,
     .names_brokers = true,
     .parse = queue_master_parse},
};
static const char *const queue_presets[] = {"queue-1", "queue-2", NULL};
static const scn_family_schema queue_schema = {
    .name = "queue",
    .presets = queue_presets,
    .sections = {[SCN_SECTION_PRODUCER] = &queue_producer_schema},
    .selectors = queue_selectors,
    .selector_count = 1,
};

static const scn_family_schema *const two[] = {&kafka_schema, &queue_schema};

/* A third stand-in whose producers have a `confirm` key too. */
static const char *const stream_presets[] = {"stream-1", NULL};
static const scn_family_schema stream_schema = {
    .name = "stream",
    .presets = stream_presets,
    .sections = {[SCN_SECTION_PRODUCER] = &queue_producer_schema},
};
static const scn_family_schema *const three[] = {&kafka_schema, &queue_schema, &stream_schema};
static const scn_families three_families = {.list = three, .count = 3};
static const scn_families two_families = {.list = two, .count = 2};

static int load(const char *yaml, scn_scenario *out, char error[SCN_ERROR_LEN])
{
    return scn_load_string(&two_families, "f.yaml", yaml, out, error);
}

#define HEAD(preset) \
    "name: f\nduration: 10s\ncluster: {preset: " preset "}\ntopics: [{name: t, partitions: 2}]\n"

static void test_the_preset_chooses_the_family_keys(void **state)
{
    (void)state;
    scn_scenario *s = calloc(1, sizeof *s);
    char error[SCN_ERROR_LEN];
    assert_int_equal(
        load(HEAD("queue-2") "producers: [{name: p, rate: 1/s, confirm_timeout: 2s}]\n", s, error),
        0);
    queue_producer_options options;
    memcpy(&options, s->producers[0].family.bytes, sizeof options);
    assert_true(options.confirm); /* the family's default */
    assert_int_equal(options.confirm_timeout_us, 2000000);
    assert_string_equal(s->cluster.preset, "queue-2");

    assert_int_equal(
        load(HEAD("kafka") "producers: [{name: p, rate: 1/s, linger: 1ms}]\n", s, error), 0);
    kafka_producer_options kafka = kafka_producer_options_of(&s->producers[0]);
    assert_int_equal(kafka.linger_us, 1000);
    assert_int_equal(kafka.acks, KAFKA_ACKS_ALL);
    free(s);
}

static void test_a_key_of_another_family_names_it(void **state)
{
    (void)state;
    scn_scenario *s = calloc(1, sizeof *s);
    char error[SCN_ERROR_LEN];
    assert_int_equal(
        load(HEAD("kafka") "producers: [{name: p, rate: 1/s, confirm: false}]\n", s, error),
        BL_EXIT_BAD_INPUT);
    assert_string_equal(
        error,
        "f.yaml:5:34: key 'confirm' in producers[0] belongs to the queue family (presets "
        "queue-1, queue-2), not to the kafka family cluster.preset chose, expected one of: name, topic, count, rate, "
        "arrival, keys, message_size, request, acks, retries, retry_backoff, "
        "retry_backoff_max, request_timeout, delivery_timeout, max_in_flight, linger, "
        "batch_size, buffer_memory, partitioner, idempotence");
    assert_int_equal(load(HEAD("queue-1") "producers: [{name: p, rate: 1/s, acks: 1}]\n", s, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(
        error,
        "f.yaml:5:34: key 'acks' in producers[0] belongs to the kafka family (preset "
        "kafka), not to the queue family cluster.preset chose, expected one of: name, topic, count, rate, "
        "arrival, keys, message_size, request, confirm, confirm_timeout");
    assert_int_equal(
        load(HEAD("queue-1") "consumers: [{group: g, session_timeout: 1s}]\n", s, error),
        BL_EXIT_BAD_INPUT);
    assert_non_null(
        strstr(error, "key 'session_timeout' in consumers[0] belongs to the kafka family"));
    free(s);
}

static void test_a_key_of_two_other_families_names_both(void **state)
{
    (void)state;
    scn_scenario *s = calloc(1, sizeof *s);
    char error[SCN_ERROR_LEN];
    assert_int_equal(
        scn_load_string(&three_families, "f.yaml",
                        HEAD("kafka") "producers: [{name: p, rate: 1/s, confirm: false}]\n", s,
                        error),
        BL_EXIT_BAD_INPUT);
    assert_non_null(strstr(
        error,
        "key 'confirm' in producers[0] belongs to the queue (presets queue-1, "
        "queue-2) and stream (preset stream-1) families, not to the kafka family cluster.preset chose"));
    free(s);
}

static void test_presets_and_selectors_of_every_family(void **state)
{
    (void)state;
    scn_scenario *s = calloc(1, sizeof *s);
    char error[SCN_ERROR_LEN];
    assert_int_equal(load(HEAD("rabbit") "", s, error), BL_EXIT_BAD_INPUT);
    assert_string_equal(
        error, "f.yaml:3:19: cluster.preset: unknown value 'rabbit', expected one of: kafka, "
               "queue-1, queue-2");
    assert_int_equal(
        load(HEAD("queue-1") "faults: [{at: 1s, slow_disk: master(q), factor: 2}]\n", s, error), 0);
    assert_int_equal(s->faults[0].target.kind, SCN_SEL_FAMILY);
    assert_int_equal(s->faults[0].target.family_kind, 3);
    assert_int_equal(s->faults[0].target.family_args[0], 7);
    assert_int_equal(load(HEAD("queue-1") "faults: [{at: 1s, crash: leader(t/0)}]\n", s, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(
        error, "f.yaml:5:26: faults[0].crash: bad selector 'leader(t/0)', expected broker(N), "
               "brokers, master(QUEUE), producer(NAME[/I]), producers, consumer(GROUP[/I]), "
               "consumers or clients");
    assert_int_equal(load(HEAD("kafka") "faults: [{at: 1s, disk_full: producers}]\n", s, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(
        error, "f.yaml:5:30: faults[0].disk_full: 'producers' is not a broker, expected broker(N), "
               "brokers, leader(TOPIC/PARTITION), follower(TOPIC/PARTITION) or coordinator(GROUP)");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_preset_chooses_the_family_keys),
        cmocka_unit_test(test_a_key_of_another_family_names_it),
        cmocka_unit_test(test_a_key_of_two_other_families_names_both),
        cmocka_unit_test(test_presets_and_selectors_of_every_family),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
