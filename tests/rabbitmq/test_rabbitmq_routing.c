/* test_rabbitmq_routing.c — exchange routing (R1): topic patterns with `*` and `#` as
 * rabbit_db_topic_exchange matches them (the empty key included), direct and fanout
 * bindings, and x-consistent-hash keeping a key on one queue while spreading keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../models/rabbitmq/rabbitmq_routing.h"

static void topic_star_is_one_word(void **state)
{
    assert_true(rabbitmq_topic_matches("orders.*", "orders.eu"));
    assert_false(rabbitmq_topic_matches("orders.*", "orders"));
    assert_false(rabbitmq_topic_matches("orders.*", "orders.eu.paris"));
    assert_true(rabbitmq_topic_matches("*.eu.*", "orders.eu.paris"));
    assert_false(rabbitmq_topic_matches("*", ""));
}

static void topic_hash_is_zero_or_more_words(void **state)
{
    assert_true(rabbitmq_topic_matches("orders.#", "orders"));
    assert_true(rabbitmq_topic_matches("orders.#", "orders.eu.paris"));
    assert_true(rabbitmq_topic_matches("#", ""));
    assert_true(rabbitmq_topic_matches("#", "a.b.c"));
    assert_true(rabbitmq_topic_matches("#.paris", "paris"));
    assert_true(rabbitmq_topic_matches("a.#.c", "a.c"));
    assert_true(rabbitmq_topic_matches("a.#.c", "a.b.b.c"));
    assert_false(rabbitmq_topic_matches("a.#.c", "a.b.d"));
    assert_true(rabbitmq_topic_matches("#.*", "x"));
    assert_false(rabbitmq_topic_matches("#.*", ""));
}

static void topic_literal_words(void **state)
{
    assert_true(rabbitmq_topic_matches("orders.eu", "orders.eu"));
    assert_false(rabbitmq_topic_matches("orders.eu", "orders.e"));
    assert_false(rabbitmq_topic_matches("orders.eu", "orders.eu.x"));
    assert_true(rabbitmq_topic_matches("", ""));
    assert_false(rabbitmq_topic_matches("", "a"));
}

static void direct_and_fanout(void **state)
{
    assert_true(rabbitmq_binding_matches(RABBITMQ_EXCHANGE_DIRECT, "eu", "eu"));
    assert_false(rabbitmq_binding_matches(RABBITMQ_EXCHANGE_DIRECT, "#", "eu"));
    assert_true(rabbitmq_binding_matches(RABBITMQ_EXCHANGE_FANOUT, "anything", "eu"));
    assert_true(rabbitmq_binding_matches(RABBITMQ_EXCHANGE_TOPIC, "#", "eu"));
}

static void consistent_hash_is_stable_and_spread(void **state)
{
    uint32_t counts[3] = {0};
    for (int32_t key = 0; key < 3000; key++) {
        uint32_t pick = rabbitmq_hash_pick(key, 3);
        assert_true(pick < 3);
        assert_int_equal(pick, rabbitmq_hash_pick(key, 3));
        counts[pick]++;
    }
    for (int i = 0; i < 3; i++) assert_in_range(counts[i], 850, 1150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(topic_star_is_one_word),
        cmocka_unit_test(topic_hash_is_zero_or_more_words),
        cmocka_unit_test(topic_literal_words),
        cmocka_unit_test(direct_and_fanout),
        cmocka_unit_test(consistent_hash_is_stable_and_spread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
