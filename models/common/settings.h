/* settings.h — how a broker family writes its effective durability settings (family.h,
 * `durability`): rows appended to the caller's array, each value formatted as a scenario
 * writes it. Shared by every family. */
#ifndef BL_SETTINGS_H
#define BL_SETTINGS_H

#include <stdint.h>

#include "../../engine/scenario.h"

typedef struct settings_out {
    scn_setting *rows;
    uint32_t count, max;
} settings_out;

/* One row; format NULL = the key does not apply to the entry (null in results.json).
 * Asserts the array has room and the value fits. */
void setting_add(settings_out *out, scn_setting_scope scope, const char *entry, const char *key,
                 const char *format, ...) __attribute__((format(printf, 5, 6)));

#endif
