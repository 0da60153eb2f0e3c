/* junit.h — `check` results as JUnit XML, the report format CI servers (Jenkins,
 * GitLab, GitHub Actions' test reporters) parse: one <testsuite> per scenario, one
 * <testcase> per expectation (verdict over the seeds), a <failure> for a verdict that
 * failed and an <error> testcase for runs that could not finish. The shape follows Ant's
 * JUnit report format as those servers read it; tests/junit/junit.xsd checks it. */
#ifndef BL_JUNIT_H
#define BL_JUNIT_H

#include <stdint.h>

#include <jansson.h>

typedef struct junit_suite {
    const json_t *sweep; /* the scenario's sweep.json document */
    const char *path;    /* the scenario file */
    double wall_s;       /* time its runs took */
} junit_suite;

/* The whole XML document (the caller frees it). */
char *junit_xml(const junit_suite *suites, uint32_t suite_count);

#endif
