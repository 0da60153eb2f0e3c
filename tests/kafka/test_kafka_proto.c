/* test_kafka_proto.c — a message's record store: parts get their records one after the
 * other in one store, which grows (BL_GROW, up to KAFKA_MSG_RECORDS_MAX) without losing
 * the records of the parts already filled, and which a pooled message keeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../models/kafka/kafka_proto.h"

/* Fills part p of msg with count records: ids 1000 * (p + 1) + i, keys p. */
static void fill_part(kafka_msg *msg, uint32_t p, uint32_t count)
{
    kafka_part_records(msg, p, count);
    for (uint32_t i = 0; i < count; i++) {
        msg->parts[p].msg_ids[i] = 1000 * (p + 1) + i;
        msg->parts[p].keys[i] = (int32_t)p;
    }
}

static void assert_part(const kafka_msg *msg, uint32_t p, uint32_t count)
{
    const kafka_part *part = &msg->parts[p];
    assert_int_equal(part->count, count);
    for (uint32_t i = 0; i < count; i++) {
        assert_int_equal(part->msg_ids[i], 1000 * (p + 1) + i);
        assert_int_equal(part->keys[i], (int32_t)p);
    }
}

static void record_store_grows_keeping_earlier_parts(void **state)
{
    (void)state;
    kafka_msg *msg = kafka_msg_new(KAFKA_FETCH_RESPONSE, 4);
    const uint32_t counts[4] = {3, 20, 1, 200}; /* the store grows for parts 1 and 3 */
    for (uint32_t p = 0; p < 4; p++) {
        fill_part(msg, p, counts[p]);
        for (uint32_t q = 0; q <= p; q++) assert_part(msg, q, counts[q]);
    }
    assert_int_equal(msg->records_used, 224);
    assert_true(msg->records_capacity >= 224 && msg->records_capacity <= KAFKA_MSG_RECORDS_MAX);
    uint32_t capacity = msg->records_capacity;
    kafka_msg_free(msg); /* back to the pool, with its store */
    kafka_msg *again = kafka_msg_new(KAFKA_PRODUCE_REQUEST, 1);
    assert_ptr_equal(again, msg); /* the pool is last-in first-out */
    assert_int_equal(again->records_used, 0);
    assert_int_equal(again->records_capacity, capacity);
    fill_part(again, 0, 5);
    assert_part(again, 0, 5);
    kafka_msg_free(again);
    kafka_msg_pool_drain();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(record_store_grows_keeping_earlier_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
