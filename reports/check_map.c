/* check_map.c — the checker's uint64 → (int64, int64) hash map (see check_map.h).
 * Load factor at most 5/8, so probes stay short; deletion shifts later entries back
 * instead of leaving tombstones, so a map of in-flight entries never degrades. */
#include "check_map.h"

#include <stdlib.h>

#include "../engine/bl_assert.h"

static uint64_t map_hash(uint64_t key)
{
    key ^= key >> 30; /* splitmix64 finalizer: dense ids spread over the table */
    key *= 0xbf58476d1ce4e5b9ull;
    key ^= key >> 27;
    key *= 0x94d049bb133111ebull;
    key ^= key >> 31;
    return key;
}

void check_map_free(check_map *map)
{
    free(map->slots);
    map->slots = NULL;
    map->capacity = 0;
    map->count = 0;
}

check_map_entry *check_map_get(const check_map *map, uint64_t key)
{
    BL_ASSERT(key != 0);
    if (map->capacity == 0) return NULL;
    uint64_t mask = map->capacity - 1;
    for (uint64_t i = map_hash(key) & mask;; i = (i + 1) & mask) {
        if (map->slots[i].key == key) return &map->slots[i];
        if (map->slots[i].key == 0) return NULL;
    }
}

static void map_grow(check_map *map)
{
    uint64_t capacity = map->capacity ? map->capacity * 2 : 16;
    check_map_entry *slots = calloc(capacity, sizeof *slots);
    BL_ASSERTF(slots != NULL, "out of memory (checker map of %llu slots)",
               (unsigned long long)capacity);
    for (uint64_t i = 0; i < map->capacity; i++) {
        if (map->slots[i].key == 0) continue;
        uint64_t j = map_hash(map->slots[i].key) & (capacity - 1);
        while (slots[j].key != 0) j = (j + 1) & (capacity - 1);
        slots[j] = map->slots[i];
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
}

check_map_entry *check_map_put(check_map *map, uint64_t key)
{
    BL_ASSERT(key != 0);
    check_map_entry *found = check_map_get(map, key);
    if (found != NULL) return found;
    if ((map->count + 1) * 8 > map->capacity * 5) map_grow(map);
    uint64_t mask = map->capacity - 1;
    uint64_t i = map_hash(key) & mask;
    while (map->slots[i].key != 0) i = (i + 1) & mask;
    map->slots[i] = (check_map_entry){.key = key, .a = 0, .b = 0};
    map->count++;
    return &map->slots[i];
}

bool check_map_remove(check_map *map, uint64_t key)
{
    check_map_entry *found = check_map_get(map, key);
    if (found == NULL) return false;
    uint64_t mask = map->capacity - 1;
    uint64_t hole = (uint64_t)(found - map->slots);
    for (uint64_t j = (hole + 1) & mask; map->slots[j].key != 0; j = (j + 1) & mask) {
        uint64_t home = map_hash(map->slots[j].key) & mask;
        /* The entry at j may move back into the hole unless its home lies in (hole, j]. */
        bool home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (home_between) continue;
        map->slots[hole] = map->slots[j];
        hole = j;
    }
    map->slots[hole].key = 0;
    map->count--;
    return true;
}
