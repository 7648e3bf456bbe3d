/* profile.c - the AWS CLI's config and credentials files; see profile.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aws/profile.h"
#include "fileio.h"
#include "util.h"

#define PROFILE_MAX_FILE (4 << 20)

static struct aws_profile *
profile_get(struct aws_profiles *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	p->v = xreallocarray(p->v, p->n + 1, sizeof *p->v);
	memset(&p->v[p->n], 0, sizeof p->v[p->n]);
	p->v[p->n].name = xstrdup(name);
	return &p->v[p->n++];
}

static void
profile_set(struct aws_profile *prof, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < prof->n; i++)
		if (strcmp(prof->kv[i].key, key) == 0) {
			secure_zero(prof->kv[i].value, strlen(prof->kv[i].value));
			free(prof->kv[i].value);
			prof->kv[i].value = xstrdup(value);
			return;
		}
	prof->kv = xreallocarray(prof->kv, prof->n + 1, sizeof *prof->kv);
	prof->kv[prof->n].key = xstrdup(key);
	prof->kv[prof->n].value = xstrdup(value);
	prof->n++;
}

/* The profile a section header names, or NULL for sections that are not
 * profiles ([sso-session x], [services x], a bad header). */
static char *
section_profile(char *sec, bool config)
{
	char *p;

	sec = str_trim(sec);
	if (!config)
		return *sec ? sec : NULL;
	if (strcmp(sec, "default") == 0)
		return sec;
	if (strncmp(sec, "profile", 7) == 0 && (sec[7] == ' ' ||
	    sec[7] == '\t')) {
		p = str_trim(sec + 8);
		return *p ? p : NULL;
	}
	return NULL;
}

void
aws_profiles_parse(struct aws_profiles *out, const char *buf, size_t len,
    bool config)
{
	struct aws_profile *cur = NULL;
	char *copy, *line, *next, *eq, *key, *val;
	char parent[256] = "";

	copy = xstrndup(buf, len);
	for (line = copy; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strlen(line) > 0 && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (*line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *end = strrchr(line, ']'), *name;

			parent[0] = '\0';
			cur = NULL;
			if (end == NULL)
				continue;
			*end = '\0';
			if ((name = section_profile(line + 1, config)) != NULL)
				cur = profile_get(out, name);
			continue;
		}
		if (cur == NULL || (eq = strchr(line, '=')) == NULL) {
			if (*str_trim(line) == '\0')
				parent[0] = '\0';
			continue;
		}
		*eq = '\0';
		val = str_trim(eq + 1);
		if (*line == ' ' || *line == '\t') {
			/* A sub-setting of the key above ("s3 =\n  x = y"). */
			if (parent[0] != '\0') {
				char *k = xasprintf("%s.%s", parent,
				    str_trim(line));

				profile_set(cur, k, val);
				free(k);
			}
			continue;
		}
		key = str_trim(line);
		if (*key == '\0')
			continue;
		if (*val == '\0')
			snprintf(parent, sizeof parent, "%s", key);
		else
			parent[0] = '\0';
		profile_set(cur, key, val);
	}
	secure_zero(copy, len);
	free(copy);
}

int
aws_profiles_load(struct aws_profiles *out, const char *path, bool config,
    struct err *e)
{
	char *buf;
	size_t len;

	memset(out, 0, sizeof *out);
	if (path == NULL)
		return 0;
	if (file_read_all(path, PROFILE_MAX_FILE, &buf, &len) != 0) {
		if (errno == ENOENT)
			return 0;
		return err_set(e, EXIT_USAGE, "%s: %s", path, strerror(errno));
	}
	out->path = xstrdup(path);
	aws_profiles_parse(out, buf, len, config);
	secure_zero(buf, len);
	free(buf);
	return 0;
}

void
aws_profiles_free(struct aws_profiles *p)
{
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		for (j = 0; j < p->v[i].n; j++) {
			secure_zero(p->v[i].kv[j].value,
			    strlen(p->v[i].kv[j].value));
			free(p->v[i].kv[j].key);
			free(p->v[i].kv[j].value);
		}
		free(p->v[i].kv);
		free(p->v[i].name);
	}
	free(p->v);
	free(p->path);
	memset(p, 0, sizeof *p);
}

const struct aws_profile *
aws_profiles_find(const struct aws_profiles *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return &p->v[i];
	return NULL;
}

const char *
aws_profile_get(const struct aws_profile *prof, const char *key)
{
	size_t i;

	if (prof == NULL)
		return NULL;
	for (i = 0; i < prof->n; i++)
		if (strcmp(prof->kv[i].key, key) == 0)
			return prof->kv[i].value;
	return NULL;
}

static char *
home_path(const char *env, const char *rel)
{
	const char *v = getenv(env), *home;

	if (v != NULL && *v != '\0') {
		if (v[0] == '~' && v[1] == '/' && (home = getenv("HOME")) != NULL)
			return xasprintf("%s%s", home, v + 1);
		return xstrdup(v);
	}
	home = getenv("HOME");
	if (home == NULL || *home == '\0')
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

char *
aws_config_file_path(void)
{
	return home_path("AWS_CONFIG_FILE", ".aws/config");
}

char *
aws_credentials_file_path(void)
{
	return home_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
}

const char *
aws_profile_name(bool *explicit_name)
{
	const char *p = getenv("AWS_PROFILE");

	if (p == NULL || *p == '\0')
		p = getenv("AWS_DEFAULT_PROFILE");
	if (p != NULL && *p != '\0') {
		if (explicit_name != NULL)
			*explicit_name = true;
		return p;
	}
	if (explicit_name != NULL)
		*explicit_name = false;
	return "default";
}
