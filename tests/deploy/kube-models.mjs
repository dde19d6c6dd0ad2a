// SPDX-License-Identifier: GPL-2.0-or-later
// kube-models.mjs NPM_DIR < objects.json: validate each Kubernetes object
// (or, for a patch, each part given with its own model) against Kubernetes'
// own OpenAPI schema, as compiled into npm's kubernetes-models.  Input: a JSON
// list of {"where": TEXT, "model": "apps/v1/DaemonSet", "object": {...}}.
// Prints one line per object and "N passed, N failed"; exit 1 on a failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.argv[2];
const items = JSON.parse(readFileSync(0, "utf8"));
let passed = 0, failed = 0;
for (const { where, model, object } of items) {
  const file = join(dir, "node_modules", "kubernetes-models", `${model}.js`);
  let Model;
  try {
    const mod = await import(pathToFileURL(file).href);
    Model = mod[model.split("/").pop()];
  } catch (e) {
    console.log(`FAIL ${where}: no model ${model} in kubernetes-models (${e.code || e.message})`);
    failed++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`ok   ${where}: valid ${model}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${where}: ${model}: ${e.message}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
