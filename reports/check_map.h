/* check_map.h — private to the checker: an open-addressing hash map from a nonzero
 * uint64 key to two 64-bit values (linear probing, backward-shift deletion).
 *
 * Used for message id → dense index (only for ids that are not dense), (producer, key)
 * → stream index, delivered-but-unprocessed (msg, group) → partition/offset, pending
 * requests. Keys are hashed by value, so iteration order depends only on the keys and
 * the insertion history, never on addresses (DESIGN.md rule 4). */
#ifndef BL_CHECK_MAP_H
#define BL_CHECK_MAP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct check_map_entry {
    uint64_t key;   /* 0 = empty slot */
    int64_t a, b;   /* the values; a fresh entry has a = b = 0 */
} check_map_entry;

typedef struct check_map {
    check_map_entry *slots;
    uint64_t capacity;   /* 0 or a power of two */
    uint64_t count;
} check_map;

/* A zeroed check_map is an empty map. Frees the slots (the map is empty again). */
void check_map_free(check_map *map);
/* The entry for key (!= 0) or NULL. Cannot fail. */
check_map_entry *check_map_get(const check_map *map, uint64_t key);
/* The entry for key (!= 0), added with a = b = 0 if new. The pointer is valid until the
 * next put or remove. Asserts on out-of-memory. */
check_map_entry *check_map_put(check_map *map, uint64_t key);
/* Removes key if present; returns whether it was. */
bool check_map_remove(check_map *map, uint64_t key);

#endif
