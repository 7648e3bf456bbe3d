/* unit.h - what every cmocka test includes. */
#ifndef CUTOVER_TEST_UNIT_H
#define CUTOVER_TEST_UNIT_H

#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A private temporary directory, removed by test_tmpdir_remove(). */
char *test_tmpdir(void);
void test_tmpdir_remove(char *dir);

/* A writable argv from string literals (NULL-terminated list). */
char **test_argv(int *argc, ...);
void test_argv_free(char **argv);

#endif
