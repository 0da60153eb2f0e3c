/* dedup_store.c — the idempotent consumer's store of processed message ids (see
 * dedup_store.h). */
#include "dedup_store.h"

#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"

static uint64_t dedup_hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

bool dedup_store_contains(const dedup_store *store, uint64_t msg_id)
{
    if (store->capacity == 0) return false;
    for (uint64_t i = dedup_hash(msg_id) & (store->capacity - 1);; i = (i + 1) & (store->capacity - 1)) {
        if (store->slots[i] == msg_id) return true;
        if (store->slots[i] == 0) return false;
    }
}

void dedup_store_insert(dedup_store *store, uint64_t msg_id)
{
    BL_ASSERT(msg_id != 0);
    if ((store->count + 1) * 2 > store->capacity) {
        dedup_store bigger = {.capacity = store->capacity ? store->capacity * 2 : 1024};
        bigger.slots = calloc(bigger.capacity, sizeof *bigger.slots);
        BL_ASSERT(bigger.slots != NULL);
        for (uint64_t i = 0; i < store->capacity; i++)
            if (store->slots[i] != 0) dedup_store_insert(&bigger, store->slots[i]);
        free(store->slots);
        *store = bigger;
    }
    uint64_t i = dedup_hash(msg_id) & (store->capacity - 1);
    while (store->slots[i] != 0) {
        if (store->slots[i] == msg_id) return;
        i = (i + 1) & (store->capacity - 1);
    }
    store->slots[i] = msg_id;
    store->count++;
}

void dedup_store_remove(dedup_store *store, uint64_t msg_id)
{
    if (store->capacity == 0) return;
    uint64_t mask = store->capacity - 1, i = dedup_hash(msg_id) & mask;
    while (store->slots[i] != msg_id) {
        if (store->slots[i] == 0) return;
        i = (i + 1) & mask;
    }
    store->slots[i] = 0;
    store->count--;
    for (uint64_t j = (i + 1) & mask; store->slots[j] != 0; j = (j + 1) & mask) {
        uint64_t home = dedup_hash(store->slots[j]) & mask;
        bool movable = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (!movable) continue;
        store->slots[i] = store->slots[j];
        store->slots[j] = 0;
        i = j;
    }
}

void dedup_store_free(dedup_store *store)
{
    free(store->slots);
    memset(store, 0, sizeof *store);
}
