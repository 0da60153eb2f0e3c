/* ring.h — the code base's one ring buffer: a double-ended queue of fixed-size items.
 *
 * Queues that take items at one end and give them back at the other (a file's dirty
 * chunks, a history stream's records) share this one implementation, so each states its
 * bound in one place: a ring holds at most capacity_max items, a power of two, and one
 * more is a programmer error that crashes with the ring's name and maximum (BL_ASSERTF).
 *
 * Items live in a power-of-two array, so item i (counted from the front) is in slot
 * (head + i) & (capacity - 1). A full ring doubles in place, keeping the order; it never
 * shrinks (bl_ring_free gives the memory back). An initialised ring allocates nothing
 * until its first push. Pointers into a ring are valid until the next push.
 *
 * The functions are byte-level (item_size set at init); the BL_RING_* macros name the
 * item type at each call and assert it matches, so call sites read
 * `BL_RING_AT(&file->dirty, disk_chunk, i)`. */
#ifndef BL_RING_H
#define BL_RING_H

#include <stddef.h>
#include <stdint.h>

#include "bl_assert.h"

#define BL_RING_CAPACITY_MIN 16u /* slots of the first allocation (less if the max is less) */

typedef struct bl_ring {
    char *items;           /* capacity * item_size bytes; NULL until the first push */
    uint32_t head;         /* slot of the front item */
    uint32_t count;        /* items held */
    uint32_t capacity;     /* slots allocated: 0 or a power of two <= capacity_max */
    uint32_t capacity_max; /* the most items the ring may hold: a power of two */
    uint32_t item_size;    /* bytes per item */
    const char *what;      /* names the ring in the assertion message */
} bl_ring;

/* An empty ring of items of item_size bytes that may hold up to capacity_max (a power of
 * two) of them; `what` (a string literal) names it when the bound is violated. */
void bl_ring_init(bl_ring *ring, uint32_t item_size, uint32_t capacity_max, const char *what);
/* Frees the items; the ring is empty and may be used again. */
void bl_ring_free(bl_ring *ring);
/* dst (uninitialised, or a struct copy of src) becomes an independent copy of src. */
void bl_ring_copy(bl_ring *dst, const bl_ring *src);
/* Doubles a full ring (asserts it is below its maximum); the push functions call it. */
void bl_ring_grow(bl_ring *ring);

static inline uint32_t bl_ring_count(const bl_ring *ring)
{
    return ring->count;
}

/* Item i from the front, unchecked: i < capacity. */
static inline void *bl_ring_slot_(const bl_ring *ring, uint32_t i, size_t item_size)
{
    return ring->items + (size_t)((ring->head + i) & (ring->capacity - 1)) * item_size;
}

static inline void *bl_ring_at(const bl_ring *ring, uint32_t i, size_t item_size)
{
    BL_ASSERT(ring->item_size == item_size);
    BL_ASSERTF(i < ring->count, "%s: item %u of %u", ring->what, i, ring->count);
    return bl_ring_slot_(ring, i, item_size);
}

static inline void *bl_ring_front(const bl_ring *ring, size_t item_size)
{
    return bl_ring_at(ring, 0, item_size);
}

static inline void *bl_ring_back(const bl_ring *ring, size_t item_size)
{
    return bl_ring_at(ring, ring->count - 1, item_size);
}

/* Appends an item at the back and returns its (uninitialised) slot. */
static inline void *bl_ring_push_back(bl_ring *ring, size_t item_size)
{
    BL_ASSERT(ring->item_size == item_size);
    if (ring->count == ring->capacity) bl_ring_grow(ring);
    return bl_ring_slot_(ring, ring->count++, item_size);
}

/* Inserts an item before the front and returns its (uninitialised) slot. */
static inline void *bl_ring_push_front(bl_ring *ring, size_t item_size)
{
    BL_ASSERT(ring->item_size == item_size);
    if (ring->count == ring->capacity) bl_ring_grow(ring);
    ring->head = (ring->head - 1) & (ring->capacity - 1);
    ring->count++;
    return bl_ring_slot_(ring, 0, item_size);
}

static inline void bl_ring_pop_front(bl_ring *ring)
{
    BL_ASSERTF(ring->count > 0, "%s: pop from an empty ring", ring->what);
    ring->head = (ring->head + 1) & (ring->capacity - 1);
    ring->count--;
}

static inline void bl_ring_pop_back(bl_ring *ring)
{
    BL_ASSERTF(ring->count > 0, "%s: pop from an empty ring", ring->what);
    ring->count--;
}

/* Drops every item (keeps the memory). */
static inline void bl_ring_clear(bl_ring *ring)
{
    ring->head = 0;
    ring->count = 0;
}

/* Typed access: `type` is the item type the ring was initialised with (asserted). */
#define BL_RING_INIT(ring, type, capacity_max, what) \
    bl_ring_init((ring), (uint32_t)sizeof(type), (capacity_max), (what))
#define BL_RING_AT(ring, type, i)      ((type *)bl_ring_at((ring), (i), sizeof(type)))
#define BL_RING_FRONT(ring, type)      ((type *)bl_ring_front((ring), sizeof(type)))
#define BL_RING_BACK(ring, type)       ((type *)bl_ring_back((ring), sizeof(type)))
#define BL_RING_PUSH_BACK(ring, type)  ((type *)bl_ring_push_back((ring), sizeof(type)))
#define BL_RING_PUSH_FRONT(ring, type) ((type *)bl_ring_push_front((ring), sizeof(type)))

#endif
