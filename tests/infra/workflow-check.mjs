// workflow-check.mjs - checks of GitHub Actions workflows, offline.
//
//   node workflow-check.mjs parse FILE...
//       parses each file with @actions/workflow-parser, GitHub's own parser
//       (the one behind the Actions language server): unknown keys, wrong
//       types, unknown contexts in ${{ }} expressions.
//   node workflow-check.mjs policy [--phases p1,p2,...] FILE...
//       this project's rules: every action pinned to a full commit SHA with
//       a version comment; top-level permissions exactly contents: read;
//       write access only where a job needs it (id-token, pull-requests);
//       a timeout on every job, and within its AWS role session when it
//       assumes one (configure-aws-credentials' role-duration-seconds,
//       default one hour); no ${{ inputs.* }} or ${{ github.event.* }}
//       pasted into a shell script (it would run as code); a bash shell with
//       pipefail; and for a workflow with an `until` input, its choices are
//       exactly the phases given, and it runs in a per-environment
//       concurrency group that never cancels, behind an environment, with
//       its artifacts uploaded even on failure.
//
// Each check prints "ok<TAB>file<TAB>what" or "not ok<TAB>file<TAB>what<TAB>why";
// the exit status is 1 when any check failed, 2 on a usage error.

import fs from "node:fs";
import path from "node:path";
import { register } from "node:module";

let failures = 0;
function result(file, good, what, why) {
  const name = path.basename(file);
  if (good) {
    console.log(`ok\t${name}\t${what}`);
  } else {
    failures++;
    console.log(`not ok\t${name}\t${what}\t${String(why).replace(/\s+/g, " ")}`);
  }
}

function usage() {
  console.error("usage: node workflow-check.mjs parse FILE... | policy [--phases LIST] FILE...");
  process.exit(2);
}

async function parseFiles(files) {
  // The parser imports its JSON schema without an import attribute, which
  // Node 20 refuses: a loader hook adds it.
  register("./json-import-hook.mjs", import.meta.url);
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await import("@actions/workflow-parser");
  for (const file of files) {
    const content = fs.readFileSync(file, "utf8");
    const parsed = parseWorkflow({ name: path.basename(file), content }, new NoOperationTraceWriter());
    let errors = parsed.context.errors.getErrors().map((e) => e.message);
    if (parsed.value && errors.length === 0) {
      // Conversion finds what parsing alone does not (job graph, matrix).
      const template = await convertWorkflowTemplate(parsed.context, parsed.value);
      errors = (template.errors || []).map((e) => e.Message || e.message);
    }
    if (!parsed.value && errors.length === 0) errors = ["empty or not a workflow"];
    result(file, errors.length === 0, "parses with @actions/workflow-parser", errors.join("; "));
  }
}

const PINNED = /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40}$/;
const WRITABLE = new Set(["id-token", "pull-requests"]);

async function policyFiles(files, phases) {
  const YAML = (await import("yaml")).default;
  for (const file of files) {
    const text = fs.readFileSync(file, "utf8");
    let wf;
    try {
      wf = YAML.parse(text);
    } catch (e) {
      result(file, false, "is YAML", e.message);
      continue;
    }
    const jobs = Object.entries(wf?.jobs || {});

    // Every `uses:` pinned, with the version it stands for in a comment.
    const usesLines = text.split("\n").filter((l) => /^\s*(-\s+)?uses:/.test(l));
    const badPins = usesLines.filter((l) => {
      const m = l.match(/uses:\s*["']?([^\s"'#]+)["']?\s*(#\s*(\S+))?/);
      if (!m) return true;
      if (m[1].startsWith("./")) return false; // a local action or workflow
      return !PINNED.test(m[1]) || !/^v?\d/.test(m[3] || "");
    });
    result(file, badPins.length === 0, "every action is pinned to a commit SHA with a version comment",
      badPins.map((l) => l.trim()).join(" | "));

    const top = wf?.permissions;
    result(file, top && typeof top === "object" && Object.keys(top).length === 1 && top.contents === "read",
      "top-level permissions are contents: read", `found ${JSON.stringify(top)}`);

    for (const [id, job] of jobs) {
      const perms = job.permissions;
      if (perms !== undefined) {
        const wide = typeof perms !== "object" ? [String(perms)]
          : Object.entries(perms).filter(([k, v]) => v === "write" && !WRITABLE.has(k)).map(([k]) => `${k}: write`);
        result(file, wide.length === 0, `job ${id}: writes only id-token or pull-requests`, wide.join(", "));
      }
      result(file, Number.isInteger(job["timeout-minutes"]) || typeof job["timeout-minutes"] === "string",
        `job ${id}: has timeout-minutes`, "no timeout-minutes: a hung job holds its runner and concurrency group");
      const aws = (job.steps || []).filter((s) => String(s.uses || "").startsWith("aws-actions/configure-aws-credentials@"));
      if (aws.length > 0 && Number.isInteger(job["timeout-minutes"])) {
        const session = Math.min(...aws.map((s) => Number((s.with || {})["role-duration-seconds"] || 3600)));
        result(file, job["timeout-minutes"] * 60 <= session, `job ${id}: timeout within the AWS role session`,
          `${job["timeout-minutes"]} min > ${session} s: the job would go on with expired AWS credentials`);
      }
      const injected = (job.steps || []).filter((s) => typeof s.run === "string" && /\$\{\{\s*(inputs\.|github\.event\.)/.test(s.run));
      result(file, injected.length === 0, `job ${id}: no \${{ inputs/github.event }} inside run scripts`,
        `pass them through env: instead (${injected.map((s) => s.name || s.run.split("\n")[0]).join("; ")})`);
    }

    const shell = wf?.defaults?.run?.shell;
    result(file, shell === "bash", "default shell is bash (-eo pipefail)", `defaults.run.shell is ${shell}`);

    const until = wf?.on?.workflow_dispatch?.inputs?.until;
    if (until && phases) {
      const got = (until.options || []).join(",");
      result(file, got === phases.join(","), "the until choices are the phases, in order", `got ${got}, want ${phases.join(",")}`);
      const cg = wf.concurrency || {};
      result(file, /inputs\.environment/.test(String(cg.group || "")) && cg["cancel-in-progress"] === false,
        "one concurrency group per environment, never cancelled", JSON.stringify(cg));
      for (const [id, job] of jobs) {
        result(file, /inputs\.environment/.test(String(job.environment || "")),
          `job ${id}: runs behind the chosen environment (required reviewers)`, `environment is ${job.environment}`);
        const uploads = (job.steps || []).filter((s) => String(s.uses || "").startsWith("actions/upload-artifact@"));
        result(file, uploads.length > 0 && uploads.every((s) => /always\(\)/.test(String(s.if || ""))),
          `job ${id}: uploads its artifacts even on failure`, "an upload-artifact step without if: always()");
      }
    }
  }
}

async function main() {
  const args = process.argv.slice(2);
  const mode = args.shift();
  let phases = null;
  if (args[0] === "--phases") {
    args.shift();
    phases = (args.shift() || "").split(",").filter(Boolean);
  }
  if (!["parse", "policy"].includes(mode) || args.length === 0) usage();
  for (const f of args)
    if (!fs.existsSync(f)) {
      console.error(`${f}: no such file`);
      process.exit(2);
    }
  if (mode === "parse") await parseFiles(args);
  else await policyFiles(args, phases);
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(2);
});
