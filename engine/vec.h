/* vec.h — the code base's one growable-array helper.
 *
 * The plain arrays that only grow (the recorder's batch ids, the checker's per-second
 * series and per-slot tables) call bl_grow before writing index needed - 1: it doubles
 * the array, zeroing the new part, until it holds `needed` items, and asserts the
 * array's stated maximum, so a violated bound crashes with the array's name rather than
 * exhausting memory. The common case, room already there, is one inline comparison. */
#ifndef BL_VEC_H
#define BL_VEC_H

#include <stddef.h>
#include <stdint.h>

#define BL_GROW_CAPACITY_MIN 16u /* items of the first allocation (less if the max is less) */

/* Out of line: grows *array (of item_size-byte items; *capacity items now) to at least
 * `needed` <= max items, zeroing the new ones. */
void bl_grow_slow(void **array, uint32_t *capacity, uint64_t needed, size_t item_size, uint32_t max,
                  const char *what);

/* Makes *array hold at least `needed` items (the new ones zeroed); asserts needed <= max.
 * `what` (a string literal) names the array in the assertion message. */
static inline void bl_grow(void **array, uint32_t *capacity, uint64_t needed, size_t item_size,
                           uint32_t max, const char *what)
{
    if (needed > *capacity) bl_grow_slow(array, capacity, needed, item_size, max, what);
}

/* bl_grow on a typed pointer lvalue: BL_GROW(state->topics, state->topic_capacity, n,
 * HIST_NAMES_MAX, "checker topics"). */
#define BL_GROW(array, capacity, needed, max, what) \
    bl_grow((void **)&(array), &(capacity), (needed), sizeof *(array), (max), (what))

#endif
