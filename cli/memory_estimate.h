/* memory_estimate.h — a run's peak memory, estimated from its scenario before it runs,
 * and the refusal of a scenario that would not fit (issue 16). */
#ifndef BL_MEMORY_ESTIMATE_H
#define BL_MEMORY_ESTIMATE_H

#include <stdint.h>

#include "../engine/scenario.h"

typedef struct memory_estimate {
    double bytes;              /* the estimated peak resident memory of the run */
    double messages;           /* the messages its schedules ask for */
    uint32_t largest_producer; /* the producer entry sending the most of them */
} memory_estimate;

memory_estimate memory_estimate_of(const scn_scenario *scenario);
/* The default bound: the machine's physical memory. */
uint64_t memory_machine_bytes(void);
/* 0 if the estimate is within max_bytes; else prints `PATH:LINE:COL: estimated peak
 * memory ...` (at the producer sending the most) and returns -1. */
int memory_check(const scn_scenario *scenario, const char *path, uint64_t max_bytes,
                 const char *bound_source);

#endif
