#!/usr/bin/env bash
# The credential chain as the AWS CLI walks it, the region and the
# endpoints: environment, profiles in the credentials and config files,
# credential_process, container credentials and the EC2 instance metadata
# service (v2) — the last two against the fake endpoint on loopback —
# refreshing before expiry, and no secret in any output.
. "$TOP_SRCDIR/tests/lib/tap.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

fake_start --tables 20 || bail_out "the fake AWS endpoint did not start"
CONF="$AWS_TMP/cutover.conf"
aws_conf "$CONF" "$FAKE_TASK" metrics.cloudwatch=false
NOREGION="$AWS_TMP/noregion.conf"
aws_conf "$NOREGION" "$FAKE_TASK"
sed -i '/^region = /d' "$NOREGION"
creds() { jfield "$OUT" "$1"; }

# -- environment -----------------------------------------------------------------
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=env-secret-0001 AWS_SESSION_TOKEN=env-token-0001 \
	probe "$CONF" creds
is "$RC" 0 "environment credentials"
is "$(creds source)/$(creds access_key_id)/$(creds session_token)" environment/AKIDENV/true \
	"from the environment, with the session token"
AWS_ACCESS_KEY_ID=AKIDENV probe "$CONF" creds
is "$RC" 2 "a key without its secret is a configuration error"
like "$ERR" "partial credentials in the environment: AWS_SECRET_ACCESS_KEY is not set" "naming the missing variable"

# -- profiles -----------------------------------------------------------------------
mkdir -p "$HOME/.aws"
cat >"$HOME/.aws/credentials" <<'INI'
# comment
[default]
aws_access_key_id = AKIDDEFAULT
aws_secret_access_key = default-secret-0002

[prod]
aws_access_key_id=AKIDPROD
aws_secret_access_key=prod-secret-0003
aws_session_token = prod-token-0003
INI
cat >"$HOME/.aws/config" <<'INI'
[default]
region = eu-west-1
[profile cfgonly]
region = ap-southeast-2
aws_access_key_id = AKIDCFG
aws_secret_access_key = cfg-secret-0004
s3 =
    max_concurrent_requests = 20
[cfgonly2]
aws_access_key_id = AKIDNOTAPROFILE
aws_secret_access_key = not-a-profile-0005
[profile roleonly]
role_arn = arn:aws:iam::123456789012:role/x
source_profile = default
[profile proc]
credential_process = sh -c 'printf "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"proc-secret-0006\", \"SessionToken\": \"proc-token-0006\", \"Expiration\": \"%s\"}" "$(date -u -d "+1 hour" +%Y-%m-%dT%H:%M:%SZ)"'
[profile procsoon]
credential_process = sh -c 'echo called >> "$HOME/proc-calls"; printf "{\"Version\": 1, \"AccessKeyId\": \"AKIDSOON\", \"SecretAccessKey\": \"proc-secret-0007\", \"Expiration\": \"%s\"}" "$(date -u -d "+2 minutes" +%Y-%m-%dT%H:%M:%SZ)"'
[profile procfail]
credential_process = sh -c 'echo "sso session expired: run aws sso login" >&2; exit 4'
[profile procbad]
credential_process = echo '{"Version": 2, "AccessKeyId": "AKIDBAD", "SecretAccessKey": "bad-secret-0008"}'
INI
probe "$CONF" creds
is "$(creds access_key_id)" AKIDDEFAULT "no AWS_PROFILE: the default profile"
like "$(creds source)" "profile default in $HOME/.aws/credentials" "and the source says where"
AWS_PROFILE=prod probe "$CONF" creds
is "$(creds access_key_id)/$(creds session_token)" AKIDPROD/true "AWS_PROFILE=prod from the credentials file, with its token"
AWS_PROFILE=cfgonly probe "$CONF" creds
is "$(creds access_key_id)" AKIDCFG "[profile cfgonly] from the config file"
AWS_PROFILE=cfgonly2 probe "$CONF" creds
is "$RC" 2 "in the config file, [cfgonly2] is not a profile (the CLI wants [profile cfgonly2])"
like "$ERR" "the AWS profile cfgonly2 is in neither" "and the error says it is missing"
AWS_PROFILE=roleonly probe "$CONF" creds
like "$ERR" "profile roleonly uses role_arn, which cutover cannot resolve itself: give it a credential_process" \
	"a role_arn profile: an honest refusal with the way out"
AWS_PROFILE=nosuch probe "$CONF" creds
is "$RC" 2 "an unknown AWS_PROFILE is a configuration error"

cp "$HOME/.aws/credentials" "$AWS_TMP/other-credentials"
sed -i 's/AKIDPROD/AKIDOTHER/' "$AWS_TMP/other-credentials"
AWS_SHARED_CREDENTIALS_FILE="$AWS_TMP/other-credentials" AWS_PROFILE=prod probe "$CONF" creds
is "$(creds access_key_id)" AKIDOTHER "AWS_SHARED_CREDENTIALS_FILE"
printf '[profile x]\naws_access_key_id = AKIDX\naws_secret_access_key = x-secret-0009\nregion = sa-east-1\n' >"$AWS_TMP/other-config"
AWS_CONFIG_FILE="$AWS_TMP/other-config" AWS_PROFILE=x probe "$CONF" creds
is "$(creds access_key_id)" AKIDX "AWS_CONFIG_FILE"

# -- credential_process -----------------------------------------------------------------
AWS_PROFILE=proc probe "$CONF" creds
is "$RC" 0 "credential_process"
is "$(creds access_key_id)/$(creds session_token)" AKIDPROC/true "its credentials and token"
like "$(creds source)" "credential_process of profile proc" "named as such"
AWS_PROFILE=proc probe "$CONF" creds 3
is "$(jfield "$(tail -1 <<<"$OUT")" fetches)" 1 "credentials valid for an hour are cached (3 uses, 1 run)"
rm -f "$HOME/proc-calls"
AWS_PROFILE=procsoon probe "$CONF" creds 3
is "$(wc -l <"$HOME/proc-calls" | tr -d ' ')" 3 "credentials expiring within 5 minutes are fetched again before each use"
AWS_PROFILE=procsoon probe_valgrind "credential_process run three times" "$CONF" creds 3
AWS_PROFILE=procfail probe "$CONF" creds
is "$RC" 3 "a failing credential_process: exit 3"
like "$ERR" "credential_process of profile procfail exited with status 4: sso session expired: run aws sso login" \
	"its status and its own words"
AWS_PROFILE=procbad probe "$CONF" creds
like "$ERR" "credential_process of profile procbad: unsupported Version" "an unknown Version is refused"

# -- container credentials ----------------------------------------------------------------
rm -rf "$HOME/.aws"
export AWS_CONTAINER_CREDENTIALS_FULL_URI="$FAKE_URL/container-creds"
AWS_CONTAINER_AUTHORIZATION_TOKEN=container-token-s3cr3t probe "$CONF" creds
is "$RC" 0 "container credentials (FULL_URI + AWS_CONTAINER_AUTHORIZATION_TOKEN)"
like "$(creds access_key_id)" '^ASIAFAKE' "the container's temporary key"
like "$(creds source)" "container credentials \\($FAKE_URL/container-creds\\)" "named with the URL"
printf 'container-token-s3cr3t\n' >"$AWS_TMP/token"
AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE="$AWS_TMP/token" AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong probe "$CONF" creds
is "$RC" 0 "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE wins over the variable"
AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong-token probe "$CONF" creds
like "$ERR" "container credentials \\($FAKE_URL/container-creds\\): HTTP 403" "a refused token: HTTP 403, named"
AWS_CONTAINER_CREDENTIALS_FULL_URI=http://198.51.100.7/creds probe "$CONF" creds
is "$RC" 2 "an http:// full URI off loopback is refused (as the SDKs refuse it)"
: >"$FAKE_DIR/requests.jsonl"
AWS_CONTAINER_AUTHORIZATION_TOKEN=container-token-s3cr3t AWS_ENDPOINT_URL="$FAKE_URL" probe "$CONF" refresh
is "$RC" 0 "a DMS refresh signed with container credentials and their session token"
is "$(fake_count 'r.get("op") == "DescribeReplicationTasks" and r["signature_ok"] and r["key"].startswith("ASIAFAKE")')" 1 \
	"the fake verified the signature and the token it issued"
unset AWS_CONTAINER_CREDENTIALS_FULL_URI

# -- EC2 instance metadata (IMDSv2) ---------------------------------------------------------
unset AWS_EC2_METADATA_DISABLED
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE_URL/"
: >"$FAKE_DIR/requests.jsonl"
probe "$CONF" creds
is "$RC" 0 "instance metadata credentials"
is "$(creds source)" "instance metadata (role cutover-role)" "from the instance's role"
is "$(fake_count 'r.get("imds") == "token" and r["ttl"] == "21600"')" 1 "a session token first (PUT, with its TTL)"
is "$(fake_count 'r.get("imds") in ("role", "creds") and r["token_ok"]')" 2 "then the role and its credentials, with that token"
probe "$CONF" creds 3
is "$(jfield "$(tail -1 <<<"$OUT")" fetches)" 1 "an hour's credentials are cached"
kill "$FAKE_PID"
fake_start --tables 20 --creds-ttl 120 || bail_out "the fake did not restart"
export AWS_EC2_METADATA_SERVICE_ENDPOINT="$FAKE_URL"
probe "$CONF" creds 3
is "$(jfield "$(tail -1 <<<"$OUT")" fetches)" 3 "credentials expiring within the margin are refreshed before use"
probe_valgrind "the instance metadata chain, three times" "$CONF" creds 3
AWS_ENDPOINT_URL="$FAKE_URL" probe "$CONF" refresh
is "$RC" 0 "a DMS refresh signed with the instance's temporary credentials"
is "$(fake_count 'r.get("op") == "DescribeReplicationTasks" and r["signature_ok"] and r["key"].startswith("ASIAFAKE")')" 1 \
	"verified by the fake, token included"
AWS_EC2_METADATA_SERVICE_ENDPOINT="http://127.0.0.1:$(free_port)" probe "$CONF" creds
is "$RC" 3 "no credentials anywhere: exit 3"
like "$ERR" "no AWS credentials \\(none in the environment, the profile or the container\\) and instance metadata" \
	"the error says where it looked"
export AWS_EC2_METADATA_DISABLED=true
unset AWS_EC2_METADATA_SERVICE_ENDPOINT
probe "$CONF" creds
like "$ERR" "no AWS credentials: .* AWS_EC2_METADATA_DISABLED is set" "with the metadata service disabled, it says so"

# -- region and endpoints ---------------------------------------------------------------------
ep() { jfield "$OUT" "$1"; }
AWS_REGION=eu-central-1 probe "$CONF" endpoints
is "$(ep region)/$(ep region_from)" "us-east-1/[replication] region" "[replication] region wins"
AWS_REGION=eu-central-1 AWS_DEFAULT_REGION=eu-north-1 probe "$NOREGION" endpoints
is "$(ep region)/$(ep region_from)" eu-central-1/AWS_REGION "then AWS_REGION"
AWS_DEFAULT_REGION=eu-north-1 probe "$NOREGION" endpoints
is "$(ep region)" eu-north-1 "then AWS_DEFAULT_REGION"
AWS_CONFIG_FILE="$AWS_TMP/other-config" AWS_PROFILE=x probe "$NOREGION" endpoints
is "$(ep region)/$(ep region_from)" "sa-east-1/the AWS profile" "then the profile's region"
probe "$NOREGION" endpoints
is "$RC" 2 "no region anywhere: a configuration error"
like "$ERR" "no AWS region" "that says so"
probe "$CONF" endpoints
is "$(ep dms) $(ep cloudwatch) $(ep rds)" \
	"https://dms.us-east-1.amazonaws.com https://monitoring.us-east-1.amazonaws.com https://rds.us-east-1.amazonaws.com" \
	"regional defaults"
AWS_ENDPOINT_URL=http://127.0.0.1:4566/ AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:4567 \
	AWS_ENDPOINT_URL_DATABASE_MIGRATION_SERVICE=http://127.0.0.1:4568 probe "$CONF" endpoints
is "$(ep dms) $(ep cloudwatch) $(ep rds)" "http://127.0.0.1:4568 http://127.0.0.1:4567 http://127.0.0.1:4566" \
	"service-specific variables win over AWS_ENDPOINT_URL"
AWS_ENDPOINT_URL_RDS=http://127.0.0.1:4569 probe "$CONF" endpoints
is "$(ep rds)" http://127.0.0.1:4569 "AWS_ENDPOINT_URL_RDS"
AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true AWS_ENDPOINT_URL=http://127.0.0.1:4566 probe "$CONF" endpoints
is "$(ep dms)" https://dms.us-east-1.amazonaws.com "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"
AWS_REGION=cn-north-1 probe "$NOREGION" endpoints
is "$(ep dms)" https://dms.cn-north-1.amazonaws.com.cn "China's partition"

no_secrets env-secret-0001 env-token-0001 default-secret-0002 prod-secret-0003 prod-token-0003 \
	cfg-secret-0004 proc-secret-0006 proc-token-0006 proc-secret-0007 bad-secret-0008 x-secret-0009 \
	container-token-s3cr3t imds-session-token-QWERTY issued/Secret issued-token -- "$FAKE_DIR/requests.jsonl"
done_testing
