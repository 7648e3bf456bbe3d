/* test-state.c - state.json: round trip, atomic replace, and refusing
 * empty, truncated, newer and non-JSON files. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "state.h"
#include "util.h"

static void
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(path);
}

static void
expect_load_error(const char *text, const char *want)
{
	char *dir = test_tmpdir();
	struct state s;
	struct err e = { 0, "" };

	write_file(dir, "state.json", text);
	assert_int_equal(state_load(&s, dir, &e), -1);
	assert_int_equal(e.code, EXIT_USAGE);
	if (strstr(e.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", e.msg, want);
	/* Never silently replaced: the bad file is still there, unchanged. */
	{
		char *path = xasprintf("%s/state.json", dir), *got;
		size_t len;

		assert_int_equal(file_read_all(path, 1 << 20, &got, &len), 0);
		assert_string_equal(got, text);
		free(got);
		free(path);
	}
	test_tmpdir_remove(dir);
}

static void
test_round_trip(void **state)
{
	char *dir = test_tmpdir(), *path;
	struct state s, t;
	struct err e = { 0, "" };
	struct stat st;

	(void)state;
	state_init(&s, "staging", true);
	s.phase = PHASE_FINAL_SYNC;
	s.phase_status = PS_RUNNING;
	s.phases[PHASE_PRE_VALIDATION].status = PS_DONE;
	s.phases[PHASE_PRE_VALIDATION].started_at = 1700000000123;
	s.phases[PHASE_PRE_VALIDATION].finished_at = 1700000005456;
	s.fenced = true;
	s.fenced_at = 1700000010000;
	s.replication = REPL_STOPPED;
	s.sentinel_id = xstrdup("abc");
	s.reverse_slot_lsn = xstrdup("0/20DC640");
	s.cut_approved = 1u << PHASE_DRAIN | 1u << PHASE_FINAL_SYNC;
	state_readiness_add(&s, "target wal_level = logical", READY_OK,
	    "wal_level = logical");
	state_readiness_add(&s, "the source reaches the target", READY_UNKNOWN,
	    "not checked: no dblink");
	s.readiness_at = 1700000009000;
	assert_int_equal(state_save(&s, dir, &e), 0);

	path = xasprintf("%s/state.json", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(state_load(&t, dir, &e), 0);
	assert_string_equal(t.run_id, s.run_id);
	assert_string_equal(t.environment, "staging");
	assert_true(t.rehearsal);
	assert_int_equal(t.phase, PHASE_FINAL_SYNC);
	assert_int_equal(t.phase_status, PS_RUNNING);
	assert_int_equal(t.phases[PHASE_PRE_VALIDATION].status, PS_DONE);
	assert_int_equal(t.phases[PHASE_PRE_VALIDATION].started_at, 1700000000123);
	assert_int_equal(t.phases[PHASE_PRE_VALIDATION].finished_at, 1700000005456);
	assert_int_equal(t.phases[PHASE_SWITCH].status, PS_PENDING);
	assert_true(t.fenced);
	assert_int_equal(t.fenced_at, 1700000010000);
	assert_int_equal(t.replication, REPL_STOPPED);
	assert_false(t.switched);
	assert_string_equal(t.sentinel_id, "abc");
	assert_null(t.sentinel_lsn);
	/* A resumed run starts the reverse task from the same slot position. */
	assert_string_equal(t.reverse_slot_lsn, "0/20DC640");
	/* A driver restarted inside the cut runs what was approved, only. */
	assert_int_equal(t.cut_approved, 1u << PHASE_DRAIN |
	    1u << PHASE_FINAL_SYNC);
	assert_int_equal(t.nreadiness, 2);
	assert_string_equal(t.readiness[1].item, "the source reaches the target");
	assert_int_equal(t.readiness[1].status, READY_UNKNOWN);
	assert_string_equal(t.readiness[1].detail, "not checked: no dblink");
	assert_int_equal(t.readiness_at, 1700000009000);
	state_free(&s);
	state_free(&t);

	/* No temporary files are left behind: state.json is all there is. */
	{
		struct dirent *de;
		DIR *d = opendir(dir);
		int others = 0;

		assert_non_null(d);
		while ((de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    strcmp(de->d_name, "state.json") != 0)
				others++;
		closedir(d);
		assert_int_equal(others, 0);
	}
	free(path);
	test_tmpdir_remove(dir);
}

/* The names INTERFACE.md gives state.json, read back as JSON (not as
 * cJSON happens to lay them out). */
static void
test_interface_shape(void **state)
{
	struct state s;
	cJSON *j, *phases, *last;
	char *json;

	(void)state;
	state_init(&s, "prod", false);
	json = state_to_json(&s);
	j = cJSON_Parse(json);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "version")->valueint, 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "phase")), "pre_validation");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "phase_status")), "pending");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j,
	    "replication")), "forward");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "fenced")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(j, "switched")));
	phases = cJSON_GetObjectItem(j, "phases");
	assert_true(cJSON_IsArray(phases));
	assert_int_equal(cJSON_GetArraySize(phases), PHASE_COUNT);
	last = cJSON_GetArrayItem(phases, PHASE_COUNT - 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(last,
	    "name")), "post_validation");
	cJSON_Delete(j);
	free(json);
	state_free(&s);
}

static void
test_missing_is_new(void **state)
{
	char *dir = test_tmpdir();
	struct state s;
	struct err e = { 0, "" };

	(void)state;
	assert_int_equal(state_load(&s, dir, &e), 1);
	test_tmpdir_remove(dir);
}

static void
test_bad_files(void **state)
{
	struct state s;
	char *good;
	size_t n;

	(void)state;
	expect_load_error("", "empty state file");
	expect_load_error("not json at all", "not a valid JSON object");
	expect_load_error("[1, 2]", "not a valid JSON object");
	expect_load_error("{\"version\": 2, \"run_id\": \"x\"}",
	    "version 2 is newer than this cutover understands (1)");
	expect_load_error("{\"run_id\": \"x\"}", "no \"version\" number");
	expect_load_error("{\"version\": 1, \"run_id\": \"x\", \"environment\": \"e\","
	    " \"rehearsal\": false, \"phase\": \"teleport\"}",
	    "field \"phase\" has unknown value \"teleport\"");
	expect_load_error("{\"version\": 1, \"run_id\": 7}",
	    "field \"run_id\" must be a string");

	/* Truncated mid-JSON at every length of a real state file. */
	state_init(&s, "staging", false);
	good = state_to_json(&s);
	state_free(&s);
	for (n = 1; n < strlen(good) - 2; n += 7) {
		char *cut = xstrndup(good, n);

		expect_load_error(cut, "state.json");
		free(cut);
	}
	free(good);
}

static void
test_unwritable_dir(void **state)
{
	struct state s;
	struct err e = { 0, "" };

	(void)state;
	state_init(&s, "staging", false);
	assert_int_equal(state_save(&s, "/proc/cutover-no-such-dir", &e), -1);
	assert_int_equal(e.code, EXIT_RUNTIME);
	assert_non_null(strstr(e.msg, "cannot create"));
	state_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_interface_shape),
		cmocka_unit_test(test_missing_is_new),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_unwritable_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
