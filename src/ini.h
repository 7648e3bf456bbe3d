/* ini.h - the INI syntax of cutover.conf, without meaning.
 *
 *   [section]            ; a comment
 *   key = value          # a comment
 *   key = "quoted ; value with \"escapes\""
 *
 * Comments start with ';' or '#' at the start of a line or after
 * whitespace. Lines are at most INI_MAX_LINE bytes of valid UTF-8. */
#ifndef CUTOVER_INI_H
#define CUTOVER_INI_H

#include <stddef.h>

#include "util.h"

#define INI_MAX_LINE 4096

/* Called for every key; section is "" before the first header. Returns 0
 * to go on, or -1 after setting e. */
typedef int (*ini_key_fn)(void *arg, int line, const char *section,
    const char *key, const char *value, struct err *e);
/* Called for every section header. */
typedef int (*ini_section_fn)(void *arg, int line, const char *section,
    struct err *e);

/* Parses buf; name is the file name used in "NAME:LINE: message". On a
 * syntax error sets e (code EXIT_USAGE) and returns -1. *lines receives the
 * number of lines read. */
int ini_parse(const char *name, const char *buf, size_t len,
    ini_section_fn on_section, ini_key_fn on_key, void *arg, int *lines,
    struct err *e);

#endif
