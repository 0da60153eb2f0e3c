/* fuzz_scenario.c — libFuzzer harness of the scenario loader and validator: what
 * `brokerlab validate` does to a file, on arbitrary bytes.
 *
 * It owns one input's trip through the calls of cli_load_scenario (cli/cli_common.c), in
 * its order: scn_load_string with every family's schema (the same scn_load_bytes as
 * scn_load behind it, depth pre-pass included; scn_load only adds reading the file and
 * its size cap), expect_validate, the node-limit check (world_check_node_limit), then
 * scn_lint and expect_lint. Nothing is printed: errors go to a buffer, warnings to a
 * no-op.
 *
 * Beyond not crashing, the harness checks the loader's contract (engine/scenario.h): a
 * refused input gets exit code 2 and exactly one message, on one line, naming the file.
 * The input is cut at its first NUL byte (scn_load_string takes a C string; libyaml
 * refuses a NUL in a file anyway). Its path is "fuzz.yaml", so a network.platform in it
 * resolves from the current directory. A crash is an assertion (exit code 3, which
 * libFuzzer reports as "fuzz target exited"), a sanitizer report or a hang; every one
 * found becomes a file in tests/corpus/scenario/, which replay_main.c runs under ctest. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/bl_assert.h"
#include "../../engine/scenario.h"
#include "../../engine/scenario_lint.h"
#include "../../models/family.h"
#include "../../models/world.h"
#include "../../reports/expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: said on stderr, then abort() (a crash for libFuzzer and ctest). */
static void contract(bool holds, const char *what, const char *error)
{
    if (holds) return;
    fprintf(stderr, "fuzz_scenario: %s: %s\n", what, error);
    abort();
}

static void ignore_warning(void *user, const char *warning)
{
    (void)user;
    (void)warning;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Large (over 1 MiB): on the heap, allocated once; the loader clears it. */
    static scn_scenario *scenario;
    if (scenario == NULL) scenario = malloc(sizeof *scenario);
    char *text = malloc(size + 1);
    BL_ASSERT(scenario != NULL && text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    char error[SCN_ERROR_LEN];
    int rc = scn_load_string(family_schemas(), "fuzz.yaml", text, scenario, error);
    if (rc == 0) rc = expect_validate(scenario, error);
    if (rc != 0) {
        contract(rc == BL_EXIT_BAD_INPUT, "refused with an exit code other than 2", error);
        contract(strncmp(error, "fuzz.yaml:", 10) == 0, "an error not naming the file", error);
        contract(strchr(error, '\n') == NULL, "an error of more than one line", error);
    }
    if (rc == 0 && world_check_node_limit(scenario, "fuzz.yaml", error) != 0) {
        contract(strncmp(error, "fuzz.yaml:", 10) == 0, "an error not naming the file", error);
        contract(strchr(error, '\n') == NULL, "an error of more than one line", error);
        rc = BL_EXIT_BAD_INPUT;
    }
    if (rc == 0) {
        scn_lint(scenario, ignore_warning, NULL);
        expect_lint(scenario, ignore_warning, NULL);
    }
    free(text);
    return 0;
}
