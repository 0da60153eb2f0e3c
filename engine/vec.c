/* vec.c — the growable-array helper's growth path (see vec.h). */
#include "vec.h"

#include <stdlib.h>
#include <string.h>

#include "bl_assert.h"

void bl_grow_slow(void **array, uint32_t *capacity, uint64_t needed, size_t item_size, uint32_t max,
                  const char *what)
{
    BL_ASSERTF(needed <= max, "%s: %llu items, more than its maximum of %u", what,
               (unsigned long long)needed, max);
    uint64_t grown = *capacity ? *capacity : BL_GROW_CAPACITY_MIN;
    while (grown < needed) grown *= 2;
    if (grown > max) grown = max;
    void *bigger = realloc(*array, (size_t)grown * item_size);
    BL_ASSERTF(bigger != NULL, "%s: out of memory growing to %llu items of %zu bytes", what,
               (unsigned long long)grown, item_size);
    memset((char *)bigger + (size_t)*capacity * item_size, 0,
           (size_t)(grown - *capacity) * item_size);
    *array = bigger;
    *capacity = (uint32_t)grown;
}
