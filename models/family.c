/* family.c — the table of broker families: the one place that lists them, for the run
 * (family_for a preset) and for the loader (their schemas). See family.h. */
#include "family.h"

#include <string.h>

#include "../engine/bl_assert.h"
#include "kafka/kafka_family.h"
#include "rabbitmq/rabbitmq_family.h"

static const broker_family *const families[] = {&kafka_family, &rabbitmq_family};
#define FAMILY_COUNT (sizeof families / sizeof families[0])

const broker_family *family_for(const char *preset)
{
    for (size_t f = 0; f < FAMILY_COUNT; f++)
        for (const char *const *name = families[f]->schema->presets; *name != NULL; name++)
            if (strcmp(*name, preset) == 0) return families[f];
    BL_ASSERTF(false, "preset '%s' has no broker family", preset);
}

const scn_families *family_schemas(void)
{
    static const scn_family_schema *schemas[FAMILY_COUNT];
    static const scn_families list = {.list = schemas, .count = FAMILY_COUNT};
    for (size_t f = 0; f < FAMILY_COUNT; f++) schemas[f] = families[f]->schema;
    return &list;
}
