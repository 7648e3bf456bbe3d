/* profile.h - the AWS CLI's shared files: ~/.aws/config ("[profile x]",
 * "[default]") and ~/.aws/credentials ("[x]"), as botocore reads them:
 * '#' and ';' start comment lines, "key = value", indented lines under a
 * key with an empty value are that key's sub-settings (kept as
 * "key.sub"). */
#ifndef CUTOVER_AWS_PROFILE_H
#define CUTOVER_AWS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

struct aws_kv {
	char *key;
	char *value;
};

struct aws_profile {
	char *name;
	struct aws_kv *kv;
	size_t n;
};

struct aws_profiles {
	struct aws_profile *v;
	size_t n;
	char *path;                /* where it was read, NULL if not found */
};

/* Parses a file's bytes; config selects the config file's section names.
 * Never fails: lines it cannot read are ignored, as botocore does. */
void aws_profiles_parse(struct aws_profiles *out, const char *buf,
    size_t len, bool config);
/* Reads path (a missing file is an empty set). -1 with e set when the file
 * exists but cannot be read. */
int aws_profiles_load(struct aws_profiles *out, const char *path,
    bool config, struct err *e);
/* Frees and wipes (values may be secret keys). */
void aws_profiles_free(struct aws_profiles *p);

const struct aws_profile *aws_profiles_find(const struct aws_profiles *p,
    const char *name);
const char *aws_profile_get(const struct aws_profile *prof, const char *key);

/* The files and profile the AWS CLI would use: AWS_CONFIG_FILE,
 * AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE (else AWS_DEFAULT_PROFILE,
 * else "default"). Returned strings are allocated. */
char *aws_config_file_path(void);
char *aws_credentials_file_path(void);
const char *aws_profile_name(bool *explicit_name);

#endif
