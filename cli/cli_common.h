/* cli_common.h — what every brokerlab command shares: usage errors, option parsing
 * helpers, directories, atomic file writes, and the command table's entry points.
 *
 * Each command lives in a file of its own (cli/<command>.c, or brokerlab.c for run,
 * validate and history) and is listed once in brokerlab.c's command table. */
#ifndef BL_CLI_COMMON_H
#define BL_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../engine/scenario.h"

/* argv[0] of this process, for replay commands ("brokerlab" until main sets it). */
extern const char *cli_program_path;

/* Prints "brokerlab: MESSAGE", a blank line and the usage text on stderr; returns 2. */
int cli_usage_error(const char *message, const char *usage);
/* printf-style cli_usage_error. */
__attribute__((format(printf, 2, 3))) int cli_usage_errorf(const char *usage, const char *fmt, ...);
bool cli_is_help(const char *arg);
/* A decimal unsigned integer and nothing else. */
bool cli_parse_u64(const char *text, uint64_t *out);
/* "A..B" with A <= B (or a single seed "A"); false otherwise. */
bool cli_parse_seed_range(const char *text, uint64_t *first, uint64_t *last);
/* Creates `path` and its parents (mkdir -p); 0 or -1 with errno set. */
int cli_make_dir(const char *path);
/* Returns the index of the first option of `once` that appears twice in argv, or -1. */
int cli_repeated_option(int argc, char **argv, const char *const *once, uint32_t once_count);
/* What every command checks first: --help (or -h) anywhere prints `usage` on stdout
 * (returns 0), an option of `once` given twice is a usage error (returns 2); -1 means
 * go on and parse. */
int cli_command_start(int argc, char **argv, const char *const *once, uint32_t once_count,
                      const char *usage);

/* A measured value for people: a count with up to 6 significant digits, a time in s or
 * ms; `scale_s` (a time) chooses the unit, so a mean and its ± half-width share one.
 * NAN is "none". */
void cli_format_measure(char *out, size_t size, double value, bool seconds, double scale_s);

/* Loads and fully validates a scenario (a file, or the built-in default when `builtin`),
 * printing its error or its warnings on stderr; with `strict` a warning refuses it too.
 * Returns 0 or the exit code. */
int cli_load_scenario(const char *path, bool builtin, bool strict, scn_scenario *scenario);

/* The commands in files of their own. Each takes the arguments after its name. */
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_report(int argc, char **argv);

#endif
