/* ini.c - a strict INI tokenizer: every error names FILE:LINE. */
#include "config.h"

#include <string.h>

#include "ini.h"

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts a trailing comment: ';' or '#' at the start or after whitespace. */
static void
cut_comment(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++) {
		if ((*p == ';' || *p == '#') && (p == s || is_space(p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

/* Decodes a double-quoted value in place. Returns 0 or -1 (message in
 * *why). After the closing quote only whitespace and a comment may follow. */
static int
unquote(char *s, const char **why)
{
	char *r = s + 1, *w = s;

	for (;;) {
		if (*r == '\0') {
			*why = "unterminated quoted value";
			return -1;
		}
		if (*r == '"')
			break;
		if (*r == '\\') {
			r++;
			if (*r != '"' && *r != '\\') {
				*why = "unknown escape in quoted value (only \\\" and \\\\)";
				return -1;
			}
		}
		*w++ = *r++;
	}
	*w = '\0';
	r++;
	while (is_space(*r))
		r++;
	if (*r != '\0' && *r != ';' && *r != '#') {
		*why = "text after the closing quote";
		return -1;
	}
	return 0;
}

/* A value such as "Sales".orders starts with a quoted SQL name, not an
 * INI-quoted string: its closing quote is followed by a dot. It is
 * read as written (exclude_tables patterns). */
static int
quoted_name_first(const char *s)
{
	const char *r;

	for (r = s + 1; *r != '\0'; r++) {
		if (*r == '\\' && r[1] != '\0')
			r++;
		else if (*r == '"')
			return r[1] == '.' || (r[1] == '"' && r[2] != '\0');
	}
	return 0;
}

/* Control bytes other than tab (and a final CR) have no place in a config. */
static int
has_control(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t' && !(c == '\r' && i == n - 1)) ||
		    c == 0x7f)
			return 1;
	}
	return 0;
}

static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		    *s == '.'))
			return 0;
	}
	return 1;
}

static int
parse_line(const char *name, int lineno, char *line, char *section,
    size_t section_len, ini_section_fn on_section, ini_key_fn on_key,
    void *arg, struct err *e)
{
	char *s, *eq, *key, *value, *end;
	const char *why = NULL;

	s = line;
	while (is_space(*s))
		s++;
	if (*s == '\0' || *s == ';' || *s == '#')
		return 0;
	if (*s == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return err_set(e, EXIT_USAGE, "%s:%d: section header without ']'",
			    name, lineno);
		*end = '\0';
		cut_comment(end + 1);
		if (*str_trim(end + 1) != '\0')
			return err_set(e, EXIT_USAGE, "%s:%d: text after section header",
			    name, lineno);
		key = str_trim(s + 1);
		if (!valid_name(key))
			return err_set(e, EXIT_USAGE, "%s:%d: invalid section name '[%s]'",
			    name, lineno, key);
		if (strlen(key) >= section_len)
			return err_set(e, EXIT_USAGE, "%s:%d: section name too long",
			    name, lineno);
		strcpy(section, key);
		return on_section != NULL ? on_section(arg, lineno, section, e) : 0;
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return err_set(e, EXIT_USAGE, "%s:%d: expected 'key = value' or '[section]'",
		    name, lineno);
	*eq = '\0';
	key = str_trim(s);
	if (!valid_name(key))
		return err_set(e, EXIT_USAGE, "%s:%d: invalid key name '%s'", name,
		    lineno, key);
	value = eq + 1;
	while (is_space(*value))
		value++;
	if (*value == '"' && !quoted_name_first(value)) {
		if (unquote(value, &why) != 0)
			return err_set(e, EXIT_USAGE, "%s:%d: %s", name, lineno, why);
	} else {
		cut_comment(value);
		value = str_trim(value);
	}
	return on_key != NULL ? on_key(arg, lineno, section, key, value, e) : 0;
}

int
ini_parse(const char *name, const char *buf, size_t len,
    ini_section_fn on_section, ini_key_fn on_key, void *arg, int *lines,
    struct err *e)
{
	char section[128] = "";
	char line[INI_MAX_LINE + 1];
	const char *p = buf, *end = buf + len, *nl;
	size_t n;
	int lineno = 0;

	if (lines != NULL)
		*lines = 0;
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		lineno++;
		if (lines != NULL)
			*lines = lineno;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > INI_MAX_LINE)
			return err_set(e, EXIT_USAGE, "%s:%d: line too long (%zu bytes, at most %d)",
			    name, lineno, n, INI_MAX_LINE);
		if (memchr(p, '\0', n) != NULL)
			return err_set(e, EXIT_USAGE, "%s:%d: NUL byte in line", name,
			    lineno);
		if (!utf8_valid(p, n))
			return err_set(e, EXIT_USAGE, "%s:%d: invalid UTF-8", name,
			    lineno);
		if (has_control(p, n))
			return err_set(e, EXIT_USAGE, "%s:%d: control character in line",
			    name, lineno);
		memcpy(line, p, n);
		line[n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (parse_line(name, lineno, line, section, sizeof section,
		    on_section, on_key, arg, e) != 0)
			return -1;
		p += n + (nl != NULL ? 1 : 0);
	}
	return 0;
}
