/* idmap.c — the id map's insertion, deletion and growth (see idmap.h). */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>

void bl_idmap_init(bl_idmap *map, uint32_t value_size, uint32_t entries_max, const char *what)
{
    BL_ASSERT(what != NULL);
    BL_ASSERTF(entries_max > 0 && entries_max <= BL_IDMAP_ENTRIES_LIMIT,
               "%s: maximum of %u entries outside 1 .. %u", what, entries_max,
               BL_IDMAP_ENTRIES_LIMIT);
    BL_ASSERTF(value_size <= 1024, "%s: values of %u bytes", what, value_size);
    *map = (bl_idmap){
        .entries_max = entries_max,
        .value_size = value_size,
        .stride_words = 1 + (value_size + 7) / 8,
        .what = what,
    };
}

void bl_idmap_free(bl_idmap *map)
{
    free(map->slots);
    map->slots = NULL;
    map->capacity = 0;
    map->count = 0;
}

static uint64_t *slot_at(const bl_idmap *map, uint32_t i)
{
    return map->slots + (size_t)i * map->stride_words;
}

/* The slot holding id, or the empty slot where it would go. capacity > 0. */
static uint64_t *probe(const bl_idmap *map, uint64_t id)
{
    uint32_t mask = map->capacity - 1;
    for (uint32_t i = (uint32_t)bl_hash_u64(id) & mask;; i = (i + 1) & mask) {
        uint64_t *slot = slot_at(map, i);
        if (*slot == id || *slot == 0) return slot;
    }
}

static void grow(bl_idmap *map)
{
    uint32_t capacity = map->capacity ? map->capacity * 2 : BL_IDMAP_CAPACITY_MIN;
    size_t stride_bytes = (size_t)map->stride_words * sizeof(uint64_t);
    uint64_t *slots = calloc(capacity, stride_bytes);
    BL_ASSERTF(slots != NULL, "%s: out of memory growing to %u slots", map->what, capacity);
    bl_idmap bigger = *map;
    bigger.slots = slots;
    bigger.capacity = capacity;
    for (uint32_t i = 0; i < map->capacity; i++) {
        const uint64_t *from = slot_at(map, i);
        if (*from != 0) memcpy(probe(&bigger, *from), from, stride_bytes);
    }
    free(map->slots);
    *map = bigger;
}

void *bl_idmap_put(bl_idmap *map, uint64_t id, bool *created)
{
    BL_ASSERTF(id != 0, "%s: id 0 is reserved (empty slot)", map->what);
    BL_ASSERTF(map->entries_max > 0, "map used before bl_idmap_init");
    uint64_t *slot = map->capacity > 0 ? probe(map, id) : NULL;
    if (created != NULL) *created = slot == NULL || *slot == 0;
    if (slot != NULL && *slot == id) return slot + 1;
    BL_ASSERTF(map->count < map->entries_max, "%s: more than its maximum of %u entries", map->what,
               map->entries_max);
    if ((map->count + 1) * 2 > map->capacity) { /* at most half full */
        grow(map);
        slot = probe(map, id);
    }
    slot[0] = id;
    memset(slot + 1, 0, (size_t)(map->stride_words - 1) * sizeof(uint64_t));
    map->count++;
    return slot + 1;
}

bool bl_idmap_remove(bl_idmap *map, uint64_t id)
{
    uint64_t *found = bl_idmap_find(map, id);
    if (found == NULL) return false;
    uint32_t mask = map->capacity - 1;
    uint32_t hole = (uint32_t)((size_t)(found - 1 - map->slots) / map->stride_words);
    size_t stride_bytes = (size_t)map->stride_words * sizeof(uint64_t);
    for (uint32_t j = (hole + 1) & mask; *slot_at(map, j) != 0; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)bl_hash_u64(*slot_at(map, j)) & mask;
        /* The entry at j may move back into the hole unless its home lies in (hole, j]. */
        bool home_between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (home_between) continue;
        memcpy(slot_at(map, hole), slot_at(map, j), stride_bytes);
        hole = j;
    }
    *slot_at(map, hole) = 0;
    map->count--;
    return true;
}
