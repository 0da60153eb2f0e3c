/* cli_common.c — the helpers every command shares (see cli_common.h). */
#include "cli_common.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../engine/bl_assert.h"
#include "../models/family.h"
#include "../models/world.h"
#include "../reports/expect.h"
#include "../engine/scenario_lint.h"
#include "../engine/sim.h"

const char *cli_program_path = "brokerlab";

int cli_usage_error(const char *message, const char *usage)
{
    fprintf(stderr, "brokerlab: %s\n\n%s", message, usage);
    return BL_EXIT_BAD_INPUT;
}

int cli_usage_errorf(const char *usage, const char *fmt, ...)
{
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    return cli_usage_error(message, usage);
}

bool cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

bool cli_parse_u64(const char *text, uint64_t *out)
{
    if (text == NULL || *text < '0' || *text > '9') return false;
    errno = 0;
    char *end = NULL;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = value;
    return true;
}

bool cli_parse_seed_range(const char *text, uint64_t *first, uint64_t *last)
{
    if (text == NULL) return false;
    const char *dots = strstr(text, "..");
    if (dots == NULL) {
        if (!cli_parse_u64(text, first)) return false;
        *last = *first;
        return true;
    }
    char head[32];
    size_t head_length = (size_t)(dots - text);
    if (head_length == 0 || head_length >= sizeof head) return false;
    memcpy(head, text, head_length);
    head[head_length] = '\0';
    return cli_parse_u64(head, first) && cli_parse_u64(dots + 2, last) && *first <= *last;
}

int cli_make_dir(const char *path)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s", path);
    if (n <= 0 || (size_t)n >= sizeof buf) {
        errno = n == 0 ? ENOENT : ENAMETOOLONG; /* "" names no directory */
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

int cli_command_start(int argc, char **argv, const char *const *once, uint32_t once_count,
                      const char *usage)
{
    for (int i = 0; i < argc; i++) {
        if (!cli_is_help(argv[i])) continue;
        fputs(usage, stdout);
        return BL_EXIT_OK;
    }
    int repeated = cli_repeated_option(argc, argv, once, once_count);
    if (repeated >= 0) return cli_usage_errorf(usage, "%s given twice", once[repeated]);
    return -1;
}

void cli_format_measure(char *out, size_t size, double value, bool seconds, double scale_s)
{
    if (isnan(value))
        snprintf(out, size, "none");
    else if (!seconds)
        snprintf(out, size, "%.6g", value);
    else if (fabs(scale_s) >= 1 || scale_s == 0)
        snprintf(out, size, "%.3fs", value);
    else
        snprintf(out, size, "%.3fms", value * 1e3);
}

int cli_repeated_option(int argc, char **argv, const char *const *once, uint32_t once_count)
{
    for (uint32_t o = 0; o < once_count; o++) {
        int seen = 0;
        for (int i = 0; i < argc; i++) seen += strcmp(argv[i], once[o]) == 0;
        if (seen > 1) return (int)o;
    }
    return -1;
}

static void print_warning(void *user, const char *warning)
{
    (void)user;
    fprintf(stderr, "%s\n", warning);
}

/* Loads and validates a scenario, printing its error or its warnings; with `strict` a
 * warning fails it too. */
int cli_load_scenario(const char *path, bool builtin, bool strict, scn_scenario *scenario)
{
    char error[SCN_ERROR_LEN];
    int rc = builtin
                 ? scn_load_string(family_schemas(), "<default>", scn_default_yaml, scenario, error)
                 : scn_load(family_schemas(), path, scenario, error);
    if (rc == 0) rc = expect_validate(scenario, error);
    if (rc != 0) {
        fprintf(stderr, "%s\n", error);
        return rc;
    }
    if (world_check_node_limit(scenario, builtin ? "<default>" : path, error) != 0) {
        fprintf(stderr, "%s\n", error);
        return BL_EXIT_BAD_INPUT;
    }
    uint32_t warnings = scn_lint(scenario, print_warning, NULL);
    warnings += expect_lint(scenario, print_warning, NULL);
    if (strict && warnings > 0) {
        fprintf(stderr, "%s: %u warning%s, refused by --strict\n", scenario->path,
                (unsigned)warnings, warnings == 1 ? "" : "s");
        return BL_EXIT_BAD_INPUT;
    }
    return 0;
}
