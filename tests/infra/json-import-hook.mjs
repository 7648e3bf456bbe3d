// A module loader hook: Node 20 refuses `import x from "./f.json"` without
// `with { type: "json" }`, and @actions/workflow-parser (written for
// bundlers) imports its schema that way. This adds the attribute.
export async function load(url, context, nextLoad) {
  if (url.endsWith(".json"))
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: "json" } });
  return nextLoad(url, context);
}
