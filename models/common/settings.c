/* settings.c — a family's durability settings rows (see settings.h). */
#include "settings.h"

#include <stdarg.h>
#include <stdio.h>

#include "../../engine/bl_assert.h"

void setting_add(settings_out *out, scn_setting_scope scope, const char *entry, const char *key,
                 const char *format, ...)
{
    BL_ASSERTF(out->count < out->max, "more than %u durability settings", out->max);
    scn_setting *row = &out->rows[out->count++];
    *row = (scn_setting){.scope = scope, .entry = entry, .key = key, .none = format == NULL};
    if (format == NULL) return;
    va_list args;
    va_start(args, format);
    int n = vsnprintf(row->value, sizeof row->value, format, args);
    va_end(args);
    BL_ASSERTF(n > 0 && (size_t)n < sizeof row->value, "setting %s: value too long", key);
}
