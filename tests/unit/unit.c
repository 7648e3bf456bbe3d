/* unit.c - helpers shared by the unit tests. */
#include "unit.h"

#include <stdio.h>

#include "util.h"

char *
test_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/cutover-unit.XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");

	if (mkdtemp(dir) == NULL)
		fail_msg("mkdtemp failed");
	return dir;
}

void
test_tmpdir_remove(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	free(cmd);
	free(dir);
}

char **
test_argv(int *argc, ...)
{
	char **argv = NULL;
	const char *s;
	va_list ap;
	int n = 0;

	va_start(ap, argc);
	while ((s = va_arg(ap, const char *)) != NULL) {
		argv = xreallocarray(argv, (size_t)n + 2, sizeof *argv);
		argv[n++] = xstrdup(s);
	}
	va_end(ap);
	argv = xreallocarray(argv, (size_t)n + 1, sizeof *argv);
	argv[n] = NULL;
	*argc = n;
	return argv;
}

void
test_argv_free(char **argv)
{
	char **p;

	for (p = argv; *p != NULL; p++)
		free(*p);
	free(argv);
}
