#!/usr/bin/env python3
"""Writes the terraform test file that checks an environment's outputs.

  env-outputs-tftest.py ENV MOCK_HCL OUTPUT,... [FIXTURE_JSON] > FILE.tftest.hcl

The test applies the environment with the AWS provider mocked (its real
terraform.tfvars, so every variable validation runs), with the Aurora
endpoints and the task ARNs overridden, and asserts on the outputs
`cutover init --from-terraform` reads. With FIXTURE_JSON (a saved
`terraform output -json`), every output must equal the fixture's value:
same string, same type. Without it, every output must be a string, and the
conninfo strings must be passwordless postgresql:// URIs.
"""
import json
import sys



def hcl(s):
    return json.dumps(s)  # a JSON string is a valid HCL string literal


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    env, mock = sys.argv[1], sys.argv[2]
    outputs = [o for o in sys.argv[3].split(",") if o]
    fixture = None
    if len(sys.argv) == 5:
        with open(sys.argv[4]) as f:
            fixture = {k: v["value"] for k, v in json.load(f).items()}
    out = [open(mock).read()]

    if fixture:
        # The writer and reader hosts, and the ARNs, as the fixture has them.
        def host(uri):
            return uri.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
        cluster = fixture["cutover_aurora_cluster_id"]
        writer = host(fixture["cutover_target_conninfo"])
        reader = host(fixture["cutover_target_reader_conninfo"])
        task, reverse = fixture["cutover_dms_task_arn"], fixture["cutover_dms_reverse_task_arn"]
    else:
        cluster = f"app-{env}"
        writer = f"{cluster}.cluster-mock.eu-west-1.rds.amazonaws.com"
        reader = f"{cluster}.cluster-ro-mock.eu-west-1.rds.amazonaws.com"
        task = "arn:aws:dms:eu-west-1:123456789012:task:FORWARDMOCK"
        reverse = "arn:aws:dms:eu-west-1:123456789012:task:REVERSEMOCK"

    out.append(f"""
override_resource {{
  target = module.aurora.aws_rds_cluster.this
  values = {{
    id              = {hcl(cluster)}
    endpoint        = {hcl(writer)}
    reader_endpoint = {hcl(reader)}
    port            = 5432
  }}
}}

override_resource {{
  target = module.dms.aws_dms_replication_task.forward
  values = {{ replication_task_arn = {hcl(task)} }}
}}

override_resource {{
  target = module.dms.aws_dms_replication_task.reverse
  values = {{ replication_task_arn = {hcl(reverse)} }}
}}

run "outputs" {{
  command = apply
""")
    for name in outputs:
        if fixture:
            want = fixture[name]
            out.append(f"""
  assert {{
    condition     = output.{name} == {hcl(want)}
    error_message = "{name} is ${{jsonencode(output.{name})}}, the fixture has {hcl(want)[1:-1]}"
  }}""")
        else:
            out.append(f"""
  assert {{
    condition     = output.{name} != null && tostring(output.{name}) == output.{name}
    error_message = "{name} must be a string"
  }}""")
    if not fixture:
        out.append(f"""
  assert {{
    condition     = output.cutover_environment == {hcl(env)}
    error_message = "cutover_environment must be {env}"
  }}""")
        for name in ("cutover_source_conninfo", "cutover_target_conninfo", "cutover_target_reader_conninfo"):
            out.append(f"""
  assert {{
    condition     = can(regex("^postgresql://[a-z_][a-z0-9_]*@[a-z0-9.-]+:[0-9]+/[a-z_][a-z0-9_]*\\\\?sslmode=(require|verify-ca|verify-full)$", output.{name}))
    error_message = "{name} must be a passwordless postgresql:// URI, not ${{output.{name}}}"
  }}""")
    out.append("\n}\n")
    sys.stdout.write("".join(out))


main()
