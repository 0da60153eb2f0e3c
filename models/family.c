/* family.c — the table of broker families, by preset (see family.h). */
#include "family.h"

#include "../engine/bl_assert.h"
#include "kafka/kafka_family.h"

const broker_family *family_for(scn_preset preset)
{
    switch (preset) {
    case SCN_PRESET_KAFKA: return &kafka_family;
    }
    BL_ASSERTF(false, "preset %d has no broker family", (int)preset);
}
