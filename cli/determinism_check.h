/* determinism_check.h — `run --check-determinism`: the same scenario and seed run twice,
 * each in a process of its own, must write byte-identical histories; if they do not, the
 * first differing record is named. */
#ifndef BL_DETERMINISM_CHECK_H
#define BL_DETERMINISM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* Runs `brokerlab run SCENARIO --seed SEED` (or --default) twice in child processes,
 * with their histories as JSONL under work_dir/a and work_dir/b, and compares them.
 * Prints the outcome on stdout (the first differing record on stderr). Returns 0 if the
 * histories are identical, BL_EXIT_INTERNAL (3) if they differ, BL_EXIT_BAD_INPUT (2)
 * if a run could not be made. */
int determinism_check(const char *scenario_path, bool builtin, uint64_t seed, const char *work_dir);

#endif
