/* test_containers.c — the shared containers of engine/: the ring buffer (ring.h), the id
 * map and its hash (idmap.h) and the growable-array helper (vec.h). Violated bounds are
 * crashes (exit code 3 with a message): those tests run the violation in a forked child
 * and check its exit status and message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../engine/idmap.h"
#include "../../engine/ring.h"
#include "../../engine/vec.h"
#include "../test_util.h"

/* ---- ring ---- */

static void ring_push_and_pop_at_both_ends(void **state)
{
    (void)state;
    bl_ring ring;
    BL_RING_INIT(&ring, int64_t, 1024, "test ring");
    assert_int_equal(bl_ring_count(&ring), 0);
    *BL_RING_PUSH_BACK(&ring, int64_t) = 1;
    *BL_RING_PUSH_BACK(&ring, int64_t) = 2;
    *BL_RING_PUSH_FRONT(&ring, int64_t) = 0;
    *BL_RING_PUSH_FRONT(&ring, int64_t) = -1;
    *BL_RING_PUSH_BACK(&ring, int64_t) = 3;
    assert_int_equal(bl_ring_count(&ring), 5);
    for (uint32_t i = 0; i < 5; i++) {
        assert_int_equal(*BL_RING_AT(&ring, int64_t, i), (int64_t)i - 1);
    }
    assert_int_equal(*BL_RING_FRONT(&ring, int64_t), -1);
    assert_int_equal(*BL_RING_BACK(&ring, int64_t), 3);
    bl_ring_pop_front(&ring);
    bl_ring_pop_back(&ring);
    assert_int_equal(bl_ring_count(&ring), 3);
    assert_int_equal(*BL_RING_FRONT(&ring, int64_t), 0);
    assert_int_equal(*BL_RING_BACK(&ring, int64_t), 2);
    bl_ring_clear(&ring);
    assert_int_equal(bl_ring_count(&ring), 0);
    *BL_RING_PUSH_FRONT(&ring, int64_t) = 7;
    assert_int_equal(*BL_RING_BACK(&ring, int64_t), 7);
    bl_ring_free(&ring);
    assert_int_equal(bl_ring_count(&ring), 0);
    *BL_RING_PUSH_BACK(&ring, int64_t) = 8; /* usable again after free */
    assert_int_equal(*BL_RING_FRONT(&ring, int64_t), 8);
    bl_ring_free(&ring);
}

typedef struct ring_item {
    uint64_t value;
    uint32_t tag;
} ring_item;

/* The head moves through the array (pushes at the back, pops at the front), so growth
 * happens while the items wrap around the end; every index must still be in order. */
static void ring_keeps_order_across_wrap_around_and_growth(void **state)
{
    (void)state;
    bl_ring ring;
    BL_RING_INIT(&ring, ring_item, 1u << 16, "test ring");
    uint64_t front = 0, back = 0; /* the ring holds values [front, back) */
    for (uint32_t round = 0; round < 12; round++) {
        for (uint32_t k = 0; k < (1u << round) + 5; k++) {
            *BL_RING_PUSH_BACK(&ring, ring_item) = (ring_item){.value = back, .tag = round};
            back++;
        }
        for (uint32_t k = 0; k < (1u << round) / 2 + 3; k++) {
            assert_int_equal(BL_RING_FRONT(&ring, ring_item)->value, front);
            bl_ring_pop_front(&ring);
            front++;
        }
        assert_int_equal(bl_ring_count(&ring), back - front);
        for (uint32_t i = 0; i < bl_ring_count(&ring); i++) {
            assert_int_equal(BL_RING_AT(&ring, ring_item, i)->value, front + i);
        }
    }
    assert_true(ring.capacity >= bl_ring_count(&ring));
    assert_int_equal(ring.capacity & (ring.capacity - 1), 0);
    bl_ring_free(&ring);
}

/* Against a plain array model: random pushes and pops at both ends across growth. */
static void ring_matches_a_model_deque(void **state)
{
    (void)state;
    enum { MODEL_SLOTS = 1 << 15 };
    static uint32_t model[2 * MODEL_SLOTS];
    uint32_t model_front = MODEL_SLOTS, model_back = MODEL_SLOTS; /* [front, back) */
    bl_ring ring;
    BL_RING_INIT(&ring, uint32_t, 1u << 14, "test ring");
    uint64_t lcg = 12345;
    for (uint32_t step = 0; step < 200000; step++) {
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
        uint32_t op = (uint32_t)(lcg >> 60); /* 0..15: grow on average */
        uint32_t count = model_back - model_front;
        if (model_front == 0 || model_back == 2 * MODEL_SLOTS) { /* recentre the model */
            memmove(model + MODEL_SLOTS - count / 2, model + model_front, count * sizeof model[0]);
            model_front = MODEL_SLOTS - count / 2;
            model_back = model_front + count;
        }
        if (op < 5 && count < (1u << 14)) {
            *BL_RING_PUSH_BACK(&ring, uint32_t) = step;
            model[model_back++] = step;
        } else if (op < 9 && count < (1u << 14)) {
            *BL_RING_PUSH_FRONT(&ring, uint32_t) = step;
            model[--model_front] = step;
        } else if (op < 12 && count > 0) {
            bl_ring_pop_front(&ring);
            model_front++;
        } else if (op < 15 && count > 0) {
            bl_ring_pop_back(&ring);
            model_back--;
        } else if (count > 0) {
            uint32_t i = (uint32_t)(lcg >> 20) % count;
            assert_int_equal(*BL_RING_AT(&ring, uint32_t, i), model[model_front + i]);
        }
        assert_int_equal(bl_ring_count(&ring), model_back - model_front);
    }
    for (uint32_t i = 0; i < bl_ring_count(&ring); i++) {
        assert_int_equal(*BL_RING_AT(&ring, uint32_t, i), model[model_front + i]);
    }
    bl_ring_free(&ring);
}

static void ring_holds_exactly_its_maximum(void **state)
{
    (void)state;
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 64, "test ring");
    for (uint32_t i = 0; i < 64; i++) *BL_RING_PUSH_BACK(&ring, uint16_t) = (uint16_t)i;
    assert_int_equal(bl_ring_count(&ring), 64);
    assert_int_equal(ring.capacity, 64);
    bl_ring_pop_front(&ring);
    *BL_RING_PUSH_FRONT(&ring, uint16_t) = 99; /* full again, still within the maximum */
    assert_int_equal(*BL_RING_FRONT(&ring, uint16_t), 99);
    assert_int_equal(*BL_RING_BACK(&ring, uint16_t), 63);
    bl_ring_free(&ring);
}

static void push_beyond_maximum(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 64, "test ring");
    for (uint32_t i = 0; i < 65; i++) *BL_RING_PUSH_BACK(&ring, uint16_t) = (uint16_t)i;
}

static void push_front_beyond_maximum(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 8, "small ring");
    for (uint32_t i = 0; i < 9; i++) *BL_RING_PUSH_FRONT(&ring, uint16_t) = (uint16_t)i;
}

static void maximum_not_a_power_of_two(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 100, "odd ring");
}

static void pop_from_empty(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 8, "empty ring");
    bl_ring_pop_front(&ring);
}

static void index_beyond_count(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 8, "short ring");
    *BL_RING_PUSH_BACK(&ring, uint16_t) = 1;
    (void)BL_RING_AT(&ring, uint16_t, 1);
}

static void wrong_item_type(void)
{
    bl_ring ring;
    BL_RING_INIT(&ring, uint16_t, 8, "typed ring");
    *BL_RING_PUSH_BACK(&ring, uint64_t) = 1;
}

static void ring_violations_crash_with_a_message(void **state)
{
    (void)state;
    test_expect_crash(push_beyond_maximum, "test ring: more than its maximum of 64 items");
    test_expect_crash(push_front_beyond_maximum, "small ring: more than its maximum of 8 items");
    test_expect_crash(maximum_not_a_power_of_two,
                      "odd ring: maximum of 100 items is not a power of two");
    test_expect_crash(pop_from_empty, "empty ring: pop from an empty ring");
    test_expect_crash(index_beyond_count, "short ring: item 1 of 1");
    test_expect_crash(wrong_item_type, "item_size");
}

/* ---- hash ---- */

static void hash_is_the_splitmix64_finalizer(void **state)
{
    (void)state;
    /* splitmix64 seeded with 0 outputs the finalizer of k * 0x9e3779b97f4a7c15 */
    assert_true(bl_hash_u64(0x9e3779b97f4a7c15ull) == 0xe220a8397b1dcdafull);
    assert_true(bl_hash_u64(0x3c6ef372fe94f82aull) == 0x6e789e6aa1b965f4ull);
    assert_true(bl_hash_u64(0xdaa66d2c7ddf743full) == 0x06c45d188009454full);
    assert_true(bl_hash_u64(0) == 0);
    assert_true(bl_hash_u64(1) == 0x5692161d100b05e5ull);
    assert_true(bl_hash_u64(2) == 0xdbd238973a2b148aull);
    assert_true(bl_hash_u64(UINT64_MAX) == 0xb4d055fcf2cbbd7bull);
}

/* ---- id map ---- */

typedef struct map_value {
    int64_t a, b;
} map_value;

static uint32_t home_of(uint64_t id, uint32_t capacity)
{
    return (uint32_t)bl_hash_u64(id) & (capacity - 1);
}

/* The first `count` ids >= 1 whose home slot in a 16-slot table is `home`. */
static void ids_with_home(uint32_t home, uint64_t *ids, uint32_t count)
{
    uint32_t found = 0;
    for (uint64_t id = 1; found < count; id++) {
        if (home_of(id, BL_IDMAP_CAPACITY_MIN) == home) ids[found++] = id;
    }
}

static void idmap_put_find_remove(void **state)
{
    (void)state;
    bl_idmap map;
    BL_IDMAP_INIT(&map, map_value, 1000, "test map");
    assert_null(BL_IDMAP_FIND(&map, map_value, 5)); /* empty, nothing allocated */
    bool created = false;
    map_value *value = BL_IDMAP_PUT(&map, map_value, 5, &created);
    assert_true(created);
    assert_int_equal(value->a, 0); /* a new value is zeroed */
    assert_int_equal(value->b, 0);
    value->a = 50;
    value->b = -50;
    value = BL_IDMAP_PUT(&map, map_value, 5, &created);
    assert_false(created);
    assert_int_equal(value->a, 50);
    BL_IDMAP_PUT(&map, map_value, UINT64_MAX, NULL)->a = 7;
    assert_int_equal(bl_idmap_count(&map), 2);
    assert_int_equal(BL_IDMAP_FIND(&map, map_value, 5)->b, -50);
    assert_int_equal(BL_IDMAP_FIND(&map, map_value, UINT64_MAX)->a, 7);
    assert_null(BL_IDMAP_FIND(&map, map_value, 6));
    assert_true(bl_idmap_remove(&map, 5));
    assert_false(bl_idmap_remove(&map, 5));
    assert_null(BL_IDMAP_FIND(&map, map_value, 5));
    assert_int_equal(bl_idmap_count(&map), 1);
    value = BL_IDMAP_PUT(&map, map_value, 5, &created); /* again: zeroed */
    assert_true(created);
    assert_int_equal(value->a, 0);
    bl_idmap_free(&map);
    assert_int_equal(bl_idmap_count(&map), 0);
    assert_null(BL_IDMAP_FIND(&map, map_value, UINT64_MAX));
}

/* Colliding ids form one probe chain, here wrapping around the table's end (home 15 of
 * 16 slots) and mixed with a second chain (home 0) it runs into; removing from the
 * middle shifts the later entries back so every remaining id is still found. */
static void idmap_collisions_and_deletion_chains(void **state)
{
    (void)state;
    uint64_t at15[4], at0[3];
    ids_with_home(15, at15, 4);
    ids_with_home(0, at0, 3);
    bl_idmap map;
    BL_IDMAP_INIT(&map, uint64_t, 1000, "test map");
    /* 7 entries keep the 16-slot table: slots 15, 0, 1, 2 for at15, then 3, 4, 5 for at0 */
    for (uint32_t i = 0; i < 4; i++) *BL_IDMAP_PUT(&map, uint64_t, at15[i], NULL) = 150 + i;
    for (uint32_t i = 0; i < 3; i++) *BL_IDMAP_PUT(&map, uint64_t, at0[i], NULL) = i;
    assert_int_equal(map.capacity, BL_IDMAP_CAPACITY_MIN);
    assert_int_equal(map.slots[15 * map.stride_words], at15[0]);
    assert_int_equal(map.slots[0 * map.stride_words], at15[1]);
    assert_int_equal(map.slots[3 * map.stride_words], at0[0]);
    /* remove the head of the wrapping chain, then one in the middle of the other */
    assert_true(bl_idmap_remove(&map, at15[0]));
    assert_true(bl_idmap_remove(&map, at0[1]));
    for (uint32_t i = 1; i < 4; i++) {
        assert_int_equal(*BL_IDMAP_FIND(&map, uint64_t, at15[i]), 150 + i);
    }
    assert_int_equal(*BL_IDMAP_FIND(&map, uint64_t, at0[0]), 0);
    assert_int_equal(*BL_IDMAP_FIND(&map, uint64_t, at0[2]), 2);
    assert_null(BL_IDMAP_FIND(&map, uint64_t, at15[0]));
    assert_null(BL_IDMAP_FIND(&map, uint64_t, at0[1]));
    /* no tombstones: the chains are compact again, at15[1] back in its home slot */
    assert_int_equal(map.slots[15 * map.stride_words], at15[1]);
    uint32_t used = 0;
    for (uint32_t i = 0; i < map.capacity; i++) used += map.slots[i * map.stride_words] != 0;
    assert_int_equal(used, 5);
    assert_int_equal(bl_idmap_count(&map), 5);
    for (uint32_t i = 1; i < 4; i++) assert_true(bl_idmap_remove(&map, at15[i]));
    assert_true(bl_idmap_remove(&map, at0[0]));
    assert_true(bl_idmap_remove(&map, at0[2]));
    assert_int_equal(bl_idmap_count(&map), 0);
    for (uint32_t i = 0; i < map.capacity; i++) {
        assert_int_equal(map.slots[i * map.stride_words], 0);
    }
    bl_idmap_free(&map);
}

/* Against a plain array model: random puts and removes over a small id range (dense
 * collisions), through several growths. */
static void idmap_matches_a_model(void **state)
{
    (void)state;
    enum { IDS = 5000 };
    static int64_t model[IDS + 1]; /* 0 = absent, else the value */
    memset(model, 0, sizeof model);
    uint32_t model_count = 0;
    bl_idmap map;
    BL_IDMAP_INIT(&map, int64_t, IDS, "test map");
    uint64_t lcg = 99;
    for (int64_t step = 1; step <= 300000; step++) {
        lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t id = 1 + (lcg >> 33) % IDS;
        if ((lcg >> 30 & 3) != 0) {
            bool created;
            *BL_IDMAP_PUT(&map, int64_t, id, &created) = step;
            assert_int_equal(created, model[id] == 0);
            model_count += model[id] == 0;
            model[id] = step;
        } else {
            assert_int_equal(bl_idmap_remove(&map, id), model[id] != 0);
            model_count -= model[id] != 0;
            model[id] = 0;
        }
        assert_int_equal(bl_idmap_count(&map), model_count);
        assert_true(map.capacity >= 2 * bl_idmap_count(&map));
    }
    for (uint64_t id = 1; id <= IDS; id++) {
        const int64_t *value = BL_IDMAP_FIND(&map, int64_t, id);
        if (model[id] == 0)
            assert_null(value);
        else
            assert_int_equal(*value, model[id]);
    }
    bl_idmap_free(&map);
}

static void idmap_set_mode(void **state)
{
    (void)state;
    bl_idmap set;
    bl_idmap_init(&set, 0, 1u << 20, "test set");
    assert_int_equal(set.stride_words, 1);
    bool created;
    for (uint64_t id = 1; id <= 100000; id++) {
        assert_non_null(bl_idmap_put(&set, id * 3, &created));
        assert_true(created);
    }
    bl_idmap_put(&set, 300, &created);
    assert_false(created);
    assert_int_equal(bl_idmap_count(&set), 100000);
    for (uint64_t id = 1; id <= 300000; id++) {
        assert_int_equal(bl_idmap_contains(&set, id), id % 3 == 0);
    }
    for (uint64_t id = 3; id <= 300000; id += 6) assert_true(bl_idmap_remove(&set, id));
    assert_int_equal(bl_idmap_count(&set), 50000);
    for (uint64_t id = 1; id <= 300000; id++) {
        assert_int_equal(bl_idmap_contains(&set, id), id % 6 == 0);
    }
    bl_idmap_free(&set);
}

/* Growth keeps every entry and its value; the table stays at most half full. */
static void idmap_growth_keeps_entries(void **state)
{
    (void)state;
    bl_idmap map;
    BL_IDMAP_INIT(&map, map_value, 1u << 20, "test map");
    uint32_t capacity_seen = 0, growths = 0;
    for (uint64_t id = 1; id <= 70000; id++) {
        map_value *value = BL_IDMAP_PUT(&map, map_value, id * 0x10001, NULL);
        value->a = (int64_t)id;
        value->b = -(int64_t)id;
        if (map.capacity != capacity_seen) growths++;
        capacity_seen = map.capacity;
        assert_true(map.capacity >= 2 * map.count);
    }
    assert_int_equal(map.capacity, 1u << 18);
    assert_int_equal(growths, 15); /* 16 .. 2^18 */
    for (uint64_t id = 1; id <= 70000; id++) {
        const map_value *value = BL_IDMAP_FIND(&map, map_value, id * 0x10001);
        assert_non_null(value);
        assert_int_equal(value->a, (int64_t)id);
        assert_int_equal(value->b, -(int64_t)id);
    }
    assert_null(BL_IDMAP_FIND(&map, map_value, 0x10001ull * 70001));
    bl_idmap_free(&map);
}

static void idmap_holds_exactly_its_maximum(void **state)
{
    (void)state;
    bl_idmap map;
    BL_IDMAP_INIT(&map, uint32_t, 5, "test map");
    for (uint64_t id = 1; id <= 5; id++) *BL_IDMAP_PUT(&map, uint32_t, id, NULL) = (uint32_t)id;
    *BL_IDMAP_PUT(&map, uint32_t, 3, NULL) = 33; /* an existing id at the maximum: fine */
    assert_int_equal(*BL_IDMAP_FIND(&map, uint32_t, 3), 33);
    assert_true(bl_idmap_remove(&map, 1));
    *BL_IDMAP_PUT(&map, uint32_t, 6, NULL) = 6; /* room again after a removal */
    assert_int_equal(bl_idmap_count(&map), 5);
    bl_idmap_free(&map);
}

static void map_beyond_maximum(void)
{
    bl_idmap map;
    BL_IDMAP_INIT(&map, uint32_t, 5, "test map");
    for (uint64_t id = 1; id <= 6; id++) *BL_IDMAP_PUT(&map, uint32_t, id, NULL) = (uint32_t)id;
}

static void map_id_zero(void)
{
    bl_idmap map;
    bl_idmap_init(&map, 0, 5, "zero map");
    bl_idmap_put(&map, 0, NULL);
}

static void map_wrong_value_type(void)
{
    bl_idmap map;
    BL_IDMAP_INIT(&map, uint32_t, 5, "typed map");
    *BL_IDMAP_PUT(&map, uint64_t, 1, NULL) = 1;
}

static void map_maximum_beyond_limit(void)
{
    bl_idmap map;
    bl_idmap_init(&map, 0, BL_IDMAP_ENTRIES_LIMIT + 1u, "huge map");
}

static void idmap_violations_crash_with_a_message(void **state)
{
    (void)state;
    test_expect_crash(map_beyond_maximum, "test map: more than its maximum of 5 entries");
    test_expect_crash(map_id_zero, "zero map: id 0 is reserved");
    test_expect_crash(map_wrong_value_type, "value_size");
    test_expect_crash(map_maximum_beyond_limit, "huge map: maximum of 1073741825 entries");
}

/* ---- growable arrays ---- */

static void grow_doubles_and_zeroes(void **state)
{
    (void)state;
    uint64_t *values = NULL;
    uint32_t capacity = 0;
    BL_GROW(values, capacity, 3, 1000, "test array");
    assert_int_equal(capacity, BL_GROW_CAPACITY_MIN);
    for (uint32_t i = 0; i < capacity; i++) assert_int_equal(values[i], 0);
    for (uint32_t i = 0; i < capacity; i++) values[i] = i + 1;
    BL_GROW(values, capacity, 16, 1000, "test array"); /* room already: unchanged */
    assert_int_equal(capacity, 16);
    BL_GROW(values, capacity, 17, 1000, "test array");
    assert_int_equal(capacity, 32);
    BL_GROW(values, capacity, 200, 1000, "test array");
    assert_int_equal(capacity, 256);
    for (uint32_t i = 0; i < 16; i++) assert_int_equal(values[i], i + 1); /* kept */
    for (uint32_t i = 16; i < capacity; i++) assert_int_equal(values[i], 0);
    BL_GROW(values, capacity, 1000, 1000, "test array"); /* stops at the maximum */
    assert_int_equal(capacity, 1000);
    assert_int_equal(values[999], 0);
    free(values);

    uint8_t *small = NULL;
    uint32_t small_capacity = 0;
    BL_GROW(small, small_capacity, 2, 5, "small array"); /* the first allocation too */
    assert_int_equal(small_capacity, 5);
    free(small);
}

static void grow_beyond_maximum(void)
{
    uint64_t *values = NULL;
    uint32_t capacity = 0;
    BL_GROW(values, capacity, (uint64_t)UINT32_MAX + 2, 1000, "test array");
}

static void grow_violation_crashes_with_a_message(void **state)
{
    (void)state;
    test_expect_crash(grow_beyond_maximum,
                      "test array: 4294967297 items, more than its maximum of 1000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ring_push_and_pop_at_both_ends),
        cmocka_unit_test(ring_keeps_order_across_wrap_around_and_growth),
        cmocka_unit_test(ring_matches_a_model_deque),
        cmocka_unit_test(ring_holds_exactly_its_maximum),
        cmocka_unit_test(ring_violations_crash_with_a_message),
        cmocka_unit_test(hash_is_the_splitmix64_finalizer),
        cmocka_unit_test(idmap_put_find_remove),
        cmocka_unit_test(idmap_collisions_and_deletion_chains),
        cmocka_unit_test(idmap_matches_a_model),
        cmocka_unit_test(idmap_set_mode),
        cmocka_unit_test(idmap_growth_keeps_entries),
        cmocka_unit_test(idmap_holds_exactly_its_maximum),
        cmocka_unit_test(idmap_violations_crash_with_a_message),
        cmocka_unit_test(grow_doubles_and_zeroes),
        cmocka_unit_test(grow_violation_crashes_with_a_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
