/* test-fileio.c - the one safe file write: atomic replace, never through
 * a link, devices and FIFOs written in place, a file kept with its owner
 * and mode, root writing into another user's directory as that user, and
 * the state directory's owner and mode checked. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "util.h"

static char *
slurp(const char *path)
{
	char *text;
	size_t len;

	assert_int_equal(file_read_all(path, 1 << 20, &text, &len), 0);
	return text;
}

/* Entries of dir besides . and .., as "a b c". */
static char *
entries(const char *dir)
{
	struct strbuf sb;
	struct dirent *de;
	DIR *d = opendir(dir);

	assert_non_null(d);
	sb_init(&sb);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			sb_printf(&sb, "%s%s", sb.len ? " " : "", de->d_name);
	closedir(d);
	{
		char *s = sb_detach(&sb);

		return s != NULL ? s : xstrdup("");
	}
}

static void
test_replace_atomically(void **state)
{
	char *dir = test_tmpdir(), *path = xasprintf("%s/out.json", dir), *got;
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	assert_int_equal(file_write_atomic(path, "one\n", 4, 0640, &e), 0);
	assert_int_equal(file_write_atomic(path, "two\n", 4, 0640, &e), 0);
	got = slurp(path);
	assert_string_equal(got, "two\n");
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* Nothing else is left in the directory: no temporary file. */
	got = entries(dir);
	assert_string_equal(got, "out.json");
	free(got);
	free(path);
	test_tmpdir_remove(dir);
}

static void
test_never_through_a_link(void **state)
{
	char *dir = test_tmpdir(), *victim = xasprintf("%s/victim", dir);
	char *link = xasprintf("%s/out.json", dir), *got;
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	assert_int_equal(file_write_atomic(victim, "keep\n", 5, 0600, &e), 0);
	assert_int_equal(symlink(victim, link), 0);
	assert_int_equal(file_write_atomic(link, "evil\n", 5, 0600, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "symbolic link"));
	got = slurp(victim);
	assert_string_equal(got, "keep\n");
	free(got);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	/* A dangling link is not followed to create its target either. */
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(file_write_atomic(link, "evil\n", 5, 0600, &e), -1);
	assert_int_equal(access(victim, F_OK), -1);
	free(victim);
	free(link);
	test_tmpdir_remove(dir);
}

static void
test_fifo_written_in_place(void **state)
{
	char *dir = test_tmpdir(), *fifo = xasprintf("%s/pipe", dir);
	struct err e = { 0, "" };
	struct stat st;
	char buf[16];
	ssize_t n;
	int rd;

	(void)state;
	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* A reader is there, so the writer's open does not wait. */
	rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(file_write_atomic(fifo, "hello\n", 6, 0600, &e), 0);
	n = read(rd, buf, sizeof buf);
	assert_int_equal(n, 6);
	assert_memory_equal(buf, "hello\n", 6);
	close(rd);
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	free(fifo);
	test_tmpdir_remove(dir);
}

static void
test_directory_refused(void **state)
{
	char *dir = test_tmpdir(), *sub = xasprintf("%s/sub", dir);
	struct err e = { 0, "" };

	(void)state;
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(file_write_atomic(sub, "x", 1, 0600, &e), -1);
	assert_non_null(strstr(e.msg, "is a directory"));
	assert_int_equal(file_write_atomic("", "x", 1, 0600, &e), -1);
	free(sub);
	test_tmpdir_remove(dir);
}

static void
test_rewrite_keeps_mode(void **state)
{
	char *dir = test_tmpdir(), *path = xasprintf("%s/databases.ini", dir);
	char *got;
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	assert_int_equal(file_rewrite(path, "x", 1, &e), -1);	/* must exist */
	assert_int_equal(file_write_atomic(path, "a = 1\n", 6, 0644, &e), 0);
	assert_int_equal(chmod(path, 0604), 0);
	assert_int_equal(file_rewrite(path, "a = 2\n", 6, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0604);
	got = slurp(path);
	assert_string_equal(got, "a = 2\n");
	free(got);
	free(path);
	test_tmpdir_remove(dir);
}

/* As root, into a directory another user owns: created as that user,
 * and a planted link at a temporary-looking name changes nothing. */
static void
test_root_writes_as_owner(void **state)
{
	struct passwd *pw = getpwnam("nobody");
	char *dir, *path, *got;
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	if (geteuid() != 0 || pw == NULL) {
		skip();
		return;
	}
	dir = test_tmpdir();
	assert_int_equal(chmod(dir, 0755), 0);
	path = xasprintf("%s/owned", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(chown(path, pw->pw_uid, pw->pw_gid), 0);
	free(path);
	path = xasprintf("%s/owned/out.json", dir);
	assert_int_equal(file_write_atomic(path, "mine\n", 5, 0600, &e), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_uid, pw->pw_uid);
	got = slurp(path);
	assert_string_equal(got, "mine\n");
	free(got);
	free(path);
	test_tmpdir_remove(dir);
}

static void
test_state_dir_private(void **state)
{
	char *dir = test_tmpdir(), *sub = xasprintf("%s/state", dir);
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	assert_int_equal(dir_ensure_private(sub, &e), 0);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(dir_ensure_private(sub, &e), 0);
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(dir_ensure_private(sub, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	assert_non_null(strstr(e.msg, "mode 0755"));
	free(sub);
	test_tmpdir_remove(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_atomically),
		cmocka_unit_test(test_never_through_a_link),
		cmocka_unit_test(test_fifo_written_in_place),
		cmocka_unit_test(test_directory_refused),
		cmocka_unit_test(test_rewrite_keeps_mode),
		cmocka_unit_test(test_root_writes_as_owner),
		cmocka_unit_test(test_state_dir_private),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
