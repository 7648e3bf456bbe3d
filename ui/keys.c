/* keys.c - the key bindings: one table from keys to the requests of
 * keys.h. The help overlay and the function bar read this table, so what
 * they show is what the keys do. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ui-int.h"

#define REQ_INFO(id, label, help, flags) { label, help, flags },
static const struct {
	const char *label;
	const char *help;
	int flags;
} requests[REQ_MAX] = {
	{ "", "", 0 },
	REQ_LIST(REQ_INFO)
};
#undef REQ_INFO

const char *
request_label(enum request r)
{
	return r > REQ_NONE && r < REQ_MAX ? requests[r].label : "";
}

const char *
request_help(enum request r)
{
	return r > REQ_NONE && r < REQ_MAX ? requests[r].help : "";
}

int
request_flags(enum request r)
{
	return r > REQ_NONE && r < REQ_MAX ? requests[r].flags : 0;
}

struct binding {
	int key;
	bool wide;               /* a character (wget_wch OK), not a KEY_ code */
	enum request req;
};

#define CH(c, r) { c, true, REQ_##r }
#define KC(k, r) { k, false, REQ_##r }
static const struct binding bindings[] = {
	CH('?', HELP),
	KC(KEY_F(1), HELP),
	CH('\t', FOCUS_NEXT),
	KC(KEY_BTAB, FOCUS_PREV),
	CH('z', ZOOM),
	CH('\r', RUN),
	CH('\n', RUN),
	KC(KEY_ENTER, RUN),
	CH('R', ROLLBACK),
	CH('a', DISARM),
	CH('v', VALIDATE),
	CH('V', VALIDATE_FULL),
	CH('\014', REDRAW),
	CH('q', QUIT),
	KC(KEY_F(10), QUIT),
	KC(KEY_UP, UP),
	CH('k', UP),
	KC(KEY_DOWN, DOWN),
	CH('j', DOWN),
	KC(KEY_PPAGE, PAGE_UP),
	KC(KEY_NPAGE, PAGE_DOWN),
	CH(' ', PAGE_DOWN),
	KC(KEY_HOME, HOME),
	CH('g', HOME),
	KC(KEY_END, END),
	CH('G', END),
	CH('s', SORT_NEXT),
	CH('>', SORT_NEXT),
	CH('<', SORT_PREV),
	CH('S', SORT_REVERSE),
	CH('/', FILTER),
	CH('m', MISMATCHES),
	CH('p', PARTITIONS),
};
#undef CH
#undef KC

enum request
keys_lookup(int key, bool wide, bool read_only)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bindings); i++) {
		if (bindings[i].key != key || bindings[i].wide != wide)
			continue;
		/* Watch mode: acting requests do not exist. */
		if (read_only && (request_flags(bindings[i].req) & REQF_ACT))
			return REQ_NONE;
		return bindings[i].req;
	}
	return REQ_NONE;
}

static const char *
binding_name(const struct binding *b, char *buf, size_t len)
{
	if (b->wide) {
		switch (b->key) {
		case '\r':
			return "Enter";
		case '\n':
			return NULL;       /* the same key as Enter for people */
		case '\t':
			return "Tab";
		case ' ':
			return "Space";
		case '\014':
			return "C-l";
		}
		snprintf(buf, len, "%c", b->key);
		return buf;
	}
	switch (b->key) {
	case KEY_BTAB:
		return "S-Tab";
	case KEY_ENTER:
		return NULL;
	case KEY_UP:
		return "Up";
	case KEY_DOWN:
		return "Down";
	case KEY_PPAGE:
		return "PgUp";
	case KEY_NPAGE:
		return "PgDn";
	case KEY_HOME:
		return "Home";
	case KEY_END:
		return "End";
	}
	if (b->key >= KEY_F(1) && b->key <= KEY_F(12)) {
		snprintf(buf, len, "F%d", b->key - KEY_F0);
		return buf;
	}
	snprintf(buf, len, "#%d", b->key);
	return buf;
}

void
keys_names(enum request r, bool read_only, char *buf, size_t len)
{
	char one[16];
	const char *n;
	size_t i, o = 0;

	buf[0] = '\0';
	if (read_only && (request_flags(r) & REQF_ACT))
		return;
	for (i = 0; i < ARRAY_SIZE(bindings); i++) {
		if (bindings[i].req != r)
			continue;
		if ((n = binding_name(&bindings[i], one, sizeof one)) == NULL)
			continue;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%s",
		    o > 0 ? " " : "", n);
		if (o >= len)
			break;
	}
}

const char *
keys_first(enum request r, bool read_only)
{
	static char buf[16];
	const char *n;
	size_t i;

	if (read_only && (request_flags(r) & REQF_ACT))
		return NULL;
	for (i = 0; i < ARRAY_SIZE(bindings); i++)
		if (bindings[i].req == r &&
		    (n = binding_name(&bindings[i], buf, sizeof buf)) != NULL)
			return n;
	return NULL;
}
