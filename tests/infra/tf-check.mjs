// tf-check.mjs - static checks of a Terraform tree, offline, without
// terraform itself: every .tf and .tfvars file parses (@cdktf/hcl2json, the
// HCL parser Terraform uses, compiled to WebAssembly), and across modules:
//
//   - every module call passes only variables the module declares, and every
//     variable the module requires (no default);
//   - every module.NAME.OUTPUT referenced names a module call of that
//     directory and an output that module declares;
//   - every var.X is declared, every local.X is defined;
//   - every variable has a type and a description, every output a description;
//   - terraform.tfvars sets only declared variables (Terraform itself only
//     warns about a misspelt one, and then silently uses the default) and
//     every variable without a default.
//
// Usage: node tf-check.mjs TERRAFORM_DIR           the checks
//        node tf-check.mjs --outputs TERRAFORM_DIR  "ENV<TAB>OUTPUT" per line
//
// Each check prints one line, "ok<TAB>dir<TAB>what" or
// "not ok<TAB>dir<TAB>what<TAB>why" (dir relative to TERRAFORM_DIR);
// the exit status is 1 when any check failed, 2 on a usage error.

import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parse } = require("@cdktf/hcl2json");

// Arguments of a module block that are Terraform's, not the module's.
const META_ARGS = new Set(["source", "version", "providers", "count", "for_each", "depends_on"]);

let failures = 0;
function result(group, good, what, why) {
  if (good) {
    console.log(`ok\t${group}\t${what}`);
  } else {
    failures++;
    console.log(`not ok\t${group}\t${what}\t${String(why).replace(/\s+/g, " ")}`);
  }
}

function usage() {
  console.error("usage: node tf-check.mjs [--outputs] TERRAFORM_DIR");
  process.exit(2);
}

// Every directory under ROOT holding .tf files, skipping .terraform.
function configDirs(root) {
  const dirs = [];
  (function walk(d) {
    const entries = fs.readdirSync(d, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith(".tf"))) dirs.push(d);
    for (const e of entries)
      if (e.isDirectory() && !e.name.startsWith(".")) walk(path.join(d, e.name));
  })(root);
  return dirs.sort();
}

// Parses every .tf file of DIR into one merged view of its blocks.
async function loadDir(dir, rel) {
  const cfg = { dir, variables: {}, outputs: {}, modules: {}, locals: new Set(), bodies: [], ok: true };
  const where = rel(dir);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  for (const f of files) {
    const file = path.join(dir, f);
    let doc;
    try {
      doc = await parse(file, fs.readFileSync(file, "utf8"));
      result(where, true, `${rel(file)} parses`);
    } catch (e) {
      result(where, false, `${rel(file)} parses`, e.message || e);
      cfg.ok = false;
      continue;
    }
    cfg.bodies.push(doc);
    for (const [name, [body]] of Object.entries(doc.variable || {})) cfg.variables[name] = { ...body, file };
    for (const [name, [body]] of Object.entries(doc.output || {})) cfg.outputs[name] = { ...body, file };
    for (const [name, [body]] of Object.entries(doc.module || {})) cfg.modules[name] = { ...body, file };
    for (const block of doc.locals || []) for (const name of Object.keys(block)) cfg.locals.add(name);
  }
  return cfg;
}

// Every string anywhere in a parsed value (expressions come as "${...}").
function strings(value, out = []) {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === "object") Object.values(value).forEach((v) => strings(v, out));
  return out;
}

function references(cfg, re) {
  const found = new Map();
  for (const s of strings(cfg.bodies))
    for (const m of s.matchAll(re)) if (!found.has(m[0])) found.set(m[0], m);
  return [...found.values()];
}

async function main() {
  const args = process.argv.slice(2);
  const outputsOnly = args[0] === "--outputs";
  if (outputsOnly) args.shift();
  if (args.length !== 1) usage();
  const root = path.resolve(args[0]);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    console.error(`${args[0]}: not a directory`);
    process.exit(2);
  }
  const rel = (p) => path.relative(root, p) || ".";

  if (outputsOnly) {
    const envRoot = path.join(root, "environments");
    for (const env of fs.readdirSync(envRoot).sort()) {
      const dir = path.join(envRoot, env);
      if (!fs.statSync(dir).isDirectory()) continue;
      const quiet = console.log;
      console.log = () => {};
      const cfg = await loadDir(dir, rel);
      console.log = quiet;
      if (!cfg.ok) {
        console.error(`${rel(dir)}: does not parse`);
        process.exit(1);
      }
      for (const name of Object.keys(cfg.outputs).sort()) console.log(`${env}\t${name}`);
    }
    return;
  }

  const configs = new Map();
  for (const dir of configDirs(root)) configs.set(dir, await loadDir(dir, rel));

  for (const cfg of configs.values()) {
    const where = rel(cfg.dir);

    for (const [name, v] of Object.entries(cfg.variables)) {
      result(where, v.type !== undefined, `${where}: variable ${name} has a type`, `${rel(v.file)}: no type`);
      result(where, typeof v.description === "string" && v.description.trim() !== "",
        `${where}: variable ${name} has a description`, `${rel(v.file)}: no description`);
    }
    for (const [name, o] of Object.entries(cfg.outputs))
      result(where, typeof o.description === "string" && o.description.trim() !== "",
        `${where}: output ${name} has a description`, `${rel(o.file)}: no description`);

    // Module calls against the called module's variables.
    for (const [call, body] of Object.entries(cfg.modules)) {
      const src = body.source;
      if (typeof src !== "string" || !(src.startsWith("./") || src.startsWith("../"))) {
        // Registry or git modules cannot be read offline: this tree keeps
        // its modules local so that every call can be checked.
        result(where, false, `${where}: module.${call} has a local source`,
          `${rel(body.file)}: source ${src} is not a local path; it cannot be checked offline`);
        continue;
      }
      const target = configs.get(path.resolve(cfg.dir, src));
      if (!target) {
        result(where, false, `${where}: module.${call} source ${src} exists`, `${rel(body.file)}: no Terraform files at ${src}`);
        continue;
      }
      const passed = Object.keys(body).filter((k) => k !== "file" && !META_ARGS.has(k));
      const unknown = passed.filter((k) => !(k in target.variables));
      result(where, unknown.length === 0, `${where}: module.${call} passes only variables ${rel(target.dir)} declares`,
        `${rel(body.file)}: module.${call} passes unknown variable(s) ${unknown.join(", ")} (not declared in ${rel(target.dir)})`);
      const required = Object.entries(target.variables).filter(([, v]) => !("default" in v)).map(([n]) => n);
      const missing = required.filter((n) => !passed.includes(n));
      result(where, missing.length === 0, `${where}: module.${call} passes every required variable of ${rel(target.dir)}`,
        `${rel(body.file)}: module.${call} does not pass required variable(s) ${missing.join(", ")} of ${rel(target.dir)}`);
    }

    // module.NAME.OUTPUT references.
    for (const m of references(cfg, /(?<![\w.])module\.([A-Za-z_][\w-]*)(?:\[[^\]]*\])?\.([A-Za-z_][\w-]*)/g)) {
      const [ref, call, output] = m;
      const body = cfg.modules[call];
      if (!body) {
        result(where, false, `${where}: ${ref} refers to a module call`, `no module "${call}" in ${where}`);
        continue;
      }
      const target = configs.get(path.resolve(cfg.dir, body.source));
      if (!target) continue; // reported above, or not local
      result(where, output in target.outputs, `${where}: ${ref} is an output of ${rel(target.dir)}`,
        `${rel(target.dir)} declares no output "${output}" (it has: ${Object.keys(target.outputs).join(", ")})`);
    }

    for (const m of references(cfg, /(?<![\w.])var\.([A-Za-z_][\w-]*)/g))
      result(where, m[1] in cfg.variables, `${where}: ${m[0]} is declared`, `no variable "${m[1]}" in ${where}`);
    for (const m of references(cfg, /(?<![\w.])local\.([A-Za-z_][\w-]*)/g))
      result(where, cfg.locals.has(m[1]), `${where}: ${m[0]} is defined`, `no local "${m[1]}" in ${where}`);

    // terraform.tfvars against the variables of its directory.
    const tfvars = path.join(cfg.dir, "terraform.tfvars");
    if (fs.existsSync(tfvars)) {
      let values;
      try {
        values = await parse(tfvars, fs.readFileSync(tfvars, "utf8"));
        result(where, true, `${rel(tfvars)} parses`);
      } catch (e) {
        result(where, false, `${rel(tfvars)} parses`, e.message || e);
        continue;
      }
      const undeclared = Object.keys(values).filter((k) => !(k in cfg.variables));
      result(where, undeclared.length === 0, `${rel(tfvars)} sets only declared variables`,
        `undeclared: ${undeclared.join(", ")}`);
      const unset = Object.entries(cfg.variables).filter(([n, v]) => !("default" in v) && !(n in values)).map(([n]) => n);
      result(where, unset.length === 0, `${rel(tfvars)} sets every variable without a default`, `unset: ${unset.join(", ")}`);
    }
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(2);
});
