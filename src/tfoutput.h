/* tfoutput.h - reads `terraform output -json` into config values. */
#ifndef CUTOVER_TFOUTPUT_H
#define CUTOVER_TFOUTPUT_H

#include "conf.h"

#define TF_MAX_VALUES 16

struct tf_values {
	char *key[TF_MAX_VALUES];      /* "section.key" */
	char *value[TF_MAX_VALUES];
	size_t n;
};

/* Maps the cutover_* outputs of terraform/environments/ to config keys. Errors name the output; conninfo values with a password are
 * refused. */
int tf_values_parse(struct tf_values *v, const char *name, const char *json,
    size_t len, struct err *e);
void tf_values_set(struct tf_values *v, const char *key, const char *value);
void tf_values_free(struct tf_values *v);
/* Fills kv (TF_MAX_VALUES entries) with borrowed pointers; returns n. */
size_t tf_values_kv(const struct tf_values *v, struct kv *kv);

#endif
