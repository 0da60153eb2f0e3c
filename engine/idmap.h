/* idmap.h — the code base's one hash map keyed by id, and its one hash function.
 *
 * A map from a nonzero uint64 id to a value of value_size bytes (0: a set of ids), by
 * open addressing: linear probing in a power-of-two table kept at most half full, and
 * deletion by shifting later entries back instead of leaving tombstones, so a map of
 * in-flight entries never degrades. Each map states the most entries it may hold
 * (entries_max); one more is a programmer error that crashes with the map's name.
 *
 * Ids are hashed by value (bl_hash_u64), so where an entry lives depends only on the ids
 * and the insertion history, never on addresses (DESIGN.md rule 4); no caller iterates
 * a map, so its layout never shows in a result. Slot i holds its id (0 = empty) and the
 * value right after it, 8-byte aligned. An initialised map allocates nothing until its
 * first insertion. Value pointers are valid until the next put or remove. */
#ifndef BL_IDMAP_H
#define BL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bl_assert.h"

/* The hash of every id-keyed table: the splitmix64 finalizer, which spreads dense ids
 * (1, 2, 3, ...) over the whole table. Reference values are in tests/test_containers.c. */
static inline uint64_t bl_hash_u64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

#define BL_IDMAP_ENTRIES_LIMIT (1u << 30) /* the largest entries_max: the table stays < 2^32 */
#define BL_IDMAP_CAPACITY_MIN  16u        /* slots of the first allocation */

typedef struct bl_idmap {
    uint64_t *slots;       /* capacity * stride_words words; NULL until the first put */
    uint32_t capacity;     /* slots: 0 or a power of two, at least twice count */
    uint32_t count;        /* entries */
    uint32_t entries_max;  /* the most entries the map may hold */
    uint32_t value_size;   /* bytes per value; 0 for a set */
    uint32_t stride_words; /* 1 (the id) + the value rounded up to 8-byte words */
    const char *what;      /* names the map in the assertion message */
} bl_idmap;

/* An empty map of value_size-byte values (0: a set) that may hold up to entries_max
 * (<= BL_IDMAP_ENTRIES_LIMIT) entries; `what` (a string literal) names it. */
void bl_idmap_init(bl_idmap *map, uint32_t value_size, uint32_t entries_max, const char *what);
/* Frees the table; the map is empty and may be used again. */
void bl_idmap_free(bl_idmap *map);
/* The value of id (!= 0), added zeroed if new (*created says which; created may be
 * NULL). For a set the pointer is only good as "not NULL". */
void *bl_idmap_put(bl_idmap *map, uint64_t id, bool *created);
/* Removes id if present; returns whether it was. */
bool bl_idmap_remove(bl_idmap *map, uint64_t id);

static inline uint32_t bl_idmap_count(const bl_idmap *map)
{
    return map->count;
}

/* The value of id (!= 0), or NULL if absent. */
static inline void *bl_idmap_find(const bl_idmap *map, uint64_t id)
{
    BL_ASSERTF(id != 0, "%s: id 0 is reserved (empty slot)", map->what);
    if (map->count == 0) return NULL;
    uint32_t mask = map->capacity - 1;
    for (uint32_t i = (uint32_t)bl_hash_u64(id) & mask;; i = (i + 1) & mask) {
        uint64_t *slot = map->slots + (size_t)i * map->stride_words;
        if (*slot == id) return slot + 1;
        if (*slot == 0) return NULL;
    }
}

static inline bool bl_idmap_contains(const bl_idmap *map, uint64_t id)
{
    return bl_idmap_find(map, id) != NULL;
}

/* Typed access: `type` is the value type the map was initialised with (asserted). */
#define BL_IDMAP_INIT(map, type, entries_max, what) \
    bl_idmap_init((map), (uint32_t)sizeof(type), (entries_max), (what))
#define BL_IDMAP_FIND(map, type, id) ((type *)bl_idmap_find_sized_((map), (id), sizeof(type)))
#define BL_IDMAP_PUT(map, type, id, created) \
    ((type *)bl_idmap_put_sized_((map), (id), (created), sizeof(type)))

static inline void *bl_idmap_find_sized_(const bl_idmap *map, uint64_t id, size_t value_size)
{
    BL_ASSERT(map->value_size == value_size);
    return bl_idmap_find(map, id);
}

static inline void *bl_idmap_put_sized_(bl_idmap *map, uint64_t id, bool *created,
                                        size_t value_size)
{
    BL_ASSERT(map->value_size == value_size);
    return bl_idmap_put(map, id, created);
}

#endif
