/* ring.c — the ring buffer's cold paths: init, free, growth and copy (see ring.h). */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

void bl_ring_init(bl_ring *ring, uint32_t item_size, uint32_t capacity_max, const char *what)
{
    BL_ASSERT(item_size > 0 && what != NULL);
    BL_ASSERTF(capacity_max > 0 && (capacity_max & (capacity_max - 1)) == 0,
               "%s: maximum of %u items is not a power of two", what, capacity_max);
    *ring = (bl_ring){.item_size = item_size, .capacity_max = capacity_max, .what = what};
}

void bl_ring_free(bl_ring *ring)
{
    free(ring->items);
    ring->items = NULL;
    ring->head = 0;
    ring->count = 0;
    ring->capacity = 0;
}

void bl_ring_grow(bl_ring *ring)
{
    BL_ASSERTF(ring->capacity_max > 0, "ring used before bl_ring_init");
    BL_ASSERTF(ring->count < ring->capacity_max, "%s: more than its maximum of %u items",
               ring->what, ring->capacity_max);
    BL_ASSERT(ring->count == ring->capacity);
    uint32_t old_capacity = ring->capacity;
    uint32_t capacity = old_capacity ? old_capacity * 2 : BL_RING_CAPACITY_MIN;
    if (capacity > ring->capacity_max) capacity = ring->capacity_max;
    size_t item_size = ring->item_size;
    char *items = realloc(ring->items, (size_t)capacity * item_size);
    BL_ASSERTF(items != NULL, "%s: out of memory growing to %u items", ring->what, capacity);
    /* The items that wrapped around, slots [0, head + count - old_capacity), follow the
     * old end now: item i stays at (head + i) & (capacity - 1), since head + i < 2 *
     * old_capacity <= capacity. */
    uint32_t wrapped =
        ring->head + ring->count > old_capacity ? ring->head + ring->count - old_capacity : 0;
    memcpy(items + (size_t)old_capacity * item_size, items, (size_t)wrapped * item_size);
    ring->items = items;
    ring->capacity = capacity;
}

void bl_ring_copy(bl_ring *dst, const bl_ring *src)
{
    *dst = *src;
    dst->items = NULL;
    dst->head = 0;
    dst->capacity = 0;
    dst->count = 0;
    if (src->count == 0) return;
    uint32_t capacity =
        BL_RING_CAPACITY_MIN < src->capacity_max ? BL_RING_CAPACITY_MIN : src->capacity_max;
    while (capacity < src->count) capacity *= 2;
    dst->items = malloc((size_t)capacity * src->item_size);
    BL_ASSERT(dst->items != NULL);
    dst->capacity = capacity;
    for (uint32_t i = 0; i < src->count; i++)
        memcpy(dst->items + (size_t)i * src->item_size, bl_ring_slot_(src, i, src->item_size),
               src->item_size);
    dst->count = src->count;
}
