/* test_scenario_errors.c — the bad-scenario corpus: every .yaml file of tests/bad_scenarios holds
 * one mistake and states, on its first line `# error: MESSAGE`, the exact message scn_load
 * must give. Each file must be refused with BL_EXIT_BAD_INPUT and exactly that message.
 * Runs from BL_SOURCE_DIR so messages carry the relative path. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../engine/bl_assert.h"
#include "../engine/scenario.h"
#include "../models/family.h"

#define CORPUS_DIR       "tests/bad_scenarios"
#define CORPUS_FILES_MAX 256
#define CORPUS_FILES_MIN 25
#define CORPUS_NAME_LEN  128
#define ERROR_PREFIX     "# error: "

typedef struct corpus {
    char names[CORPUS_FILES_MAX][CORPUS_NAME_LEN];
    uint32_t count;
} corpus;

static int corpus_name_compare(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool corpus_is_yaml(const char *name)
{
    size_t length = strlen(name);
    return length > 5 && strcmp(name + length - 5, ".yaml") == 0;
}

/* The sorted *.yaml names of the corpus directory. */
static void corpus_list(corpus *files)
{
    DIR *dir = opendir(CORPUS_DIR);
    assert_non_null(dir);
    files->count = 0;
    for (struct dirent *entry = readdir(dir); entry != NULL; entry = readdir(dir)) {
        if (!corpus_is_yaml(entry->d_name)) {
            continue;
        }
        assert_true(files->count < CORPUS_FILES_MAX);
        assert_true(strlen(entry->d_name) < CORPUS_NAME_LEN);
        memcpy(files->names[files->count++], entry->d_name, strlen(entry->d_name) + 1);
    }
    closedir(dir);
    qsort(files->names, files->count, sizeof files->names[0], corpus_name_compare);
}

/* The expected message: the first line, less its `# error: ` prefix. */
static bool corpus_expected(const char *path, char *expected, size_t expected_len)
{
    FILE *file = fopen(path, "r");
    if (file == NULL || fgets(expected, (int)expected_len, file) == NULL) {
        if (file != NULL) {
            fclose(file);
        }
        return false;
    }
    fclose(file);
    expected[strcspn(expected, "\n")] = '\0';
    size_t prefix_len = strlen(ERROR_PREFIX);
    if (strncmp(expected, ERROR_PREFIX, prefix_len) != 0) {
        return false;
    }
    memmove(expected, expected + prefix_len, strlen(expected + prefix_len) + 1);
    return true;
}

/* Loads one file; prints what differs and returns false on a mismatch. */
static bool corpus_check(const char *name, scn_scenario *scenario)
{
    char path[CORPUS_NAME_LEN + sizeof CORPUS_DIR + 1];
    char expected[SCN_ERROR_LEN + 64];
    char error[SCN_ERROR_LEN];
    snprintf(path, sizeof path, "%s/%s", CORPUS_DIR, name);
    if (!corpus_expected(path, expected, sizeof expected)) {
        print_error("%s: first line is not '" ERROR_PREFIX "MESSAGE'\n", path);
        return false;
    }
    memset(error, 'x', sizeof error);
    int code = scn_load(family_schemas(), path, scenario, error);
    if (code != BL_EXIT_BAD_INPUT) {
        print_error("%s: exit code %d, expected %d\n", path, code, BL_EXIT_BAD_INPUT);
        return false;
    }
    if (memchr(error, '\0', sizeof error) == NULL || strchr(error, '\n') != NULL) {
        print_error("%s: the message is not one terminated line\n", path);
        return false;
    }
    if (strcmp(error, expected) != 0) {
        print_error("%s:\n  got      %s\n  expected %s\n", path, error, expected);
        return false;
    }
    return true;
}

static void test_corpus(void **state)
{
    (void)state;
    assert_int_equal(chdir(BL_SOURCE_DIR), 0);
    corpus *files = calloc(1, sizeof *files);
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    assert_non_null(files);
    assert_non_null(scenario);
    corpus_list(files);
    assert_true(files->count >= CORPUS_FILES_MIN);
    uint32_t failures = 0;
    for (uint32_t i = 0; i < files->count; i++) {
        failures += corpus_check(files->names[i], scenario) ? 0 : 1;
    }
    free(scenario);
    free(files);
    assert_int_equal(failures, 0);
}

/* Messages of errors the corpus cannot hold as files (no first-line comment possible). */
static void test_unreadable_file(void **state)
{
    (void)state;
    scn_scenario *scenario = calloc(1, sizeof *scenario);
    char error[SCN_ERROR_LEN];
    assert_non_null(scenario);
    assert_int_equal(chdir(BL_SOURCE_DIR), 0);
    assert_int_equal(scn_load(family_schemas(), CORPUS_DIR "/missing.yaml", scenario, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(error, CORPUS_DIR "/missing.yaml: cannot open: No such file or directory");
    assert_int_equal(scn_load(family_schemas(), CORPUS_DIR, scenario, error), BL_EXIT_BAD_INPUT);
    assert_string_equal(error, CORPUS_DIR ": cannot open: Is a directory");
    assert_int_equal(scn_load_string(family_schemas(), "empty.yaml", "", scenario, error),
                     BL_EXIT_BAD_INPUT);
    assert_string_equal(error, "empty.yaml:1:1: empty scenario, expected a mapping with name, "
                               "duration, cluster and topics");
    assert_int_equal(
        scn_load_string(family_schemas(), "scalar.yaml", "\n\nhello\n", scenario, error),
        BL_EXIT_BAD_INPUT);
    assert_string_equal(error, "scalar.yaml:1:1: the scenario is a scalar, expected a mapping "
                               "with name, duration, cluster and topics");
    free(scenario);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_unreadable_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
