/* format.c - numbers, ages and sizes for people. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ui-int.h"

void
fmt_age(char *buf, size_t len, int64_t ms)
{
	int64_t s = ms / 1000;

	if (s < 0)
		s = 0;
	if (s < 100)
		snprintf(buf, len, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(s / 60),
		    (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%02lldh", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
}

void
fmt_seconds(char *buf, size_t len, double s)
{
	if (isnan(s))
		snprintf(buf, len, "-");
	else if (s < 10)
		snprintf(buf, len, "%.1fs", s);
	else if (s < 600)
		snprintf(buf, len, "%.0fs", s);
	else
		fmt_age(buf, len, (int64_t)(s * 1000));
}

void
fmt_bytes(char *buf, size_t len, double b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
	    "PiB" };
	size_t u = 0;

	if (isnan(b) || b < 0) {
		snprintf(buf, len, "-");
		return;
	}
	while (b >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		b /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
}

void
fmt_rate(char *buf, size_t len, double v, const char *unit)
{
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (unit != NULL && strcmp(unit, "bytes/s") == 0) {
		fmt_bytes(buf, len - 2 > 0 ? len - 2 : len, v);
		strncat(buf, "/s", len - strlen(buf) - 1);
		return;
	}
	if (unit != NULL && strcmp(unit, "bytes") == 0) {
		fmt_bytes(buf, len, v);
		return;
	}
	if (unit != NULL && strcmp(unit, "s") == 0) {
		fmt_seconds(buf, len, v);
		return;
	}
	if (fabs(v) >= 1e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else if (fabs(v) >= 1e4)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (fabs(v) >= 100 || fabs(v - floor(v)) < 1e-9)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.1f", v);
	if (unit != NULL && strcmp(unit, "%") == 0)
		strncat(buf, "%", len - strlen(buf) - 1);
	else if (unit != NULL && strcmp(unit, "count/s") == 0)
		strncat(buf, "/s", len - strlen(buf) - 1);
}
