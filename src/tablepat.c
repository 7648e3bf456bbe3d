/* tablepat.c - SCHEMA.TABLE patterns; see tablepat.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tablepat.h"
#include "util.h"

static void
part_add(struct pat_part *p, char c, unsigned char wild)
{
	p->text = xrealloc(p->text, p->len + 2);
	p->wild = xrealloc(p->wild, p->len + 1);
	p->text[p->len] = c;
	p->wild[p->len] = wild;
	p->text[++p->len] = '\0';
}

static void
part_free(struct pat_part *p)
{
	free(p->text);
	free(p->wild);
	memset(p, 0, sizeof *p);
}

int
table_pattern_parse(struct table_pattern *p, const char *text, char *why,
    size_t whylen)
{
	struct pat_part *cur;
	const char *s;
	bool quoted = false, dot = false;
	char *trimmed = xstrdup(text);

	memset(p, 0, sizeof *p);
	p->source = xstrdup(str_trim(trimmed));
	free(trimmed);
	cur = &p->schema;
	for (s = p->source; *s != '\0'; s++) {
		if (quoted) {
			if (*s == '"' && s[1] == '"')
				part_add(cur, *s++, 0);
			else if (*s == '"')
				quoted = false;
			else
				part_add(cur, *s, 0);
			continue;
		}
		if (*s == '"') {
			quoted = true;
		} else if (*s == '.') {
			if (dot) {
				snprintf(why, whylen, "more than one dot outside quotes "
				    "(expected SCHEMA.TABLE; quote a name that holds a "
				    "dot: \"a.b\")");
				goto bad;
			}
			dot = true;
			cur = &p->table;
		} else if (*s == '*' || *s == '?') {
			part_add(cur, *s, (unsigned char)*s);
		} else {
			/* Unquoted names fold to lower case, as in SQL. */
			part_add(cur, *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') :
			    *s, 0);
		}
	}
	if (quoted) {
		snprintf(why, whylen, "unterminated double quote");
		goto bad;
	}
	if (!dot) {
		snprintf(why, whylen, "expected SCHEMA.TABLE (use *.TABLE for "
		    "every schema)");
		goto bad;
	}
	if (p->schema.len == 0 || p->table.len == 0) {
		snprintf(why, whylen, "empty %s name", p->schema.len == 0 ?
		    "schema" : "table");
		goto bad;
	}
	return 0;
bad:
	table_pattern_free(p);
	return -1;
}

/* The length of the UTF-8 sequence at s (1 for a stray byte). */
static size_t
char_len(const unsigned char *s, size_t left)
{
	size_t n = *s < 0x80 ? 1 : (*s & 0xe0) == 0xc0 ? 2 : (*s & 0xf0) == 0xe0 ?
	    3 : (*s & 0xf8) == 0xf0 ? 4 : 1;

	return n <= left ? n : 1;
}

/* Glob matching with one level of backtracking (the classic algorithm:
 * linear for patterns with a single *, never exponential). */
static bool
part_match(const struct pat_part *p, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t n = strlen(name), i = 0, j = 0, star_j = (size_t)-1, star_i = 0;

	while (i < n) {
		if (j < p->len && p->wild[j] == '?') {
			i += char_len(s + i, n - i);
			j++;
		} else if (j < p->len && p->wild[j] == '*') {
			star_j = j++;
			star_i = i;
		} else if (j < p->len && p->wild[j] == 0 &&
		    (unsigned char)p->text[j] == s[i]) {
			i++;
			j++;
		} else if (star_j != (size_t)-1) {
			j = star_j + 1;
			star_i += char_len(s + star_i, n - star_i);
			i = star_i;
		} else {
			return false;
		}
	}
	while (j < p->len && p->wild[j] == '*')
		j++;
	return j == p->len;
}

bool
table_pattern_match(const struct table_pattern *p, const char *schema,
    const char *name)
{
	return part_match(&p->schema, schema) && part_match(&p->table, name);
}

void
table_pattern_free(struct table_pattern *p)
{
	free(p->source);
	part_free(&p->schema);
	part_free(&p->table);
	memset(p, 0, sizeof *p);
}

int
table_pattern_split(const char *list, char ***out, char *why, size_t whylen)
{
	const char *s, *start = list;
	bool quoted = false;
	int n = 0;

	*out = xcalloc(1, sizeof **out);
	for (s = list;; s++) {
		if (*s == '"')
			quoted = !quoted;	/* "" inside quotes toggles twice */
		if ((*s == ',' && !quoted) || *s == '\0') {
			char *item = xstrndup(start, (size_t)(s - start));

			if (*str_trim(item) != '\0') {
				*out = xreallocarray(*out, (size_t)n + 2, sizeof **out);
				(*out)[n++] = xstrdup(str_trim(item));
				(*out)[n] = NULL;
			}
			free(item);
			if (*s == '\0')
				break;
			start = s + 1;
		}
	}
	if (quoted) {
		snprintf(why, whylen, "unterminated double quote");
		for (int i = 0; i < n; i++)
			free((*out)[i]);
		free(*out);
		*out = NULL;
		return -1;
	}
	return n;
}

void
table_patterns_compile(struct table_patterns *ps, char *const *items,
    size_t n)
{
	char why[256];
	size_t i;

	ps->v = xcalloc(n + 1, sizeof *ps->v);
	ps->n = 0;
	for (i = 0; i < n; i++)
		if (table_pattern_parse(&ps->v[ps->n], items[i], why,
		    sizeof why) == 0)
			ps->n++;
}

const struct table_pattern *
table_patterns_match(const struct table_patterns *ps, const char *schema,
    const char *name)
{
	size_t i;

	for (i = 0; ps != NULL && i < ps->n; i++)
		if (table_pattern_match(&ps->v[i], schema, name))
			return &ps->v[i];
	return NULL;
}

void
table_patterns_free(struct table_patterns *ps)
{
	size_t i;

	for (i = 0; i < ps->n; i++)
		table_pattern_free(&ps->v[i]);
	free(ps->v);
	memset(ps, 0, sizeof *ps);
}

/* A name that reads the same unquoted: lower case letters, digits, _
 * (not first a digit), and no wildcard. */
static bool
plain_name(const char *s)
{
	const char *p;

	if (*s == '\0' || (*s >= '0' && *s <= '9'))
		return false;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '_'))
			return false;
	return true;
}

static void
quote_part(struct strbuf *sb, const char *s)
{
	if (plain_name(s)) {
		sb_puts(sb, s);
		return;
	}
	sb_putc(sb, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			sb_putc(sb, '"');
		sb_putc(sb, *s);
	}
	sb_putc(sb, '"');
}

char *
table_pattern_quote(const char *schema, const char *name)
{
	struct strbuf sb;

	sb_init(&sb);
	quote_part(&sb, schema);
	sb_putc(&sb, '.');
	quote_part(&sb, name);
	return sb_detach(&sb);
}
