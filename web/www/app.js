// The playground page: editors in, the policy's verdict out. All deciding happens in the WebAssembly module
// (the policy's own Rust code); this file only wires the page.
import init, { evaluate } from "./pkg/sidecar_placement_web.js";

const $ = (id) => document.getElementById(id);
const ui = {
  example: $("example"),
  operation: $("operation"),
  nodes: $("nodes"),
  mutate: $("mutate"),
  manifest: $("manifest"),
  settings: $("settings"),
  verdict: $("verdict"),
  error: $("error"),
  settingsError: $("settings-error"),
  nodesError: $("nodes-error"),
  message: $("message"),
  warnings: $("warnings"),
  convertedBlock: $("converted-block"),
  converted: $("converted"),
  fixError: $("fix-error"),
  patch: $("patch"),
  timing: $("timing"),
};

const DEBOUNCE_MS = 200;
const LABELS = { accepted: "Accepted", rejected: "Rejected", mutated: "Accepted, mutated", invalid: "Cannot evaluate" };

let ready = false;
let timer = 0;
let firstResultShown = false;

// ---- mutate toggle <-> `mutate:` in the settings text ----------------------------------------------------------

const MUTATE_LINE = /^(mutate[ \t]*:[ \t]*)(\S+)(.*)$/m;
// The toggle also converts pod templates (Deployments, Jobs, ...), which the examples are: `mutateTemplates`.
const TEMPLATES_LINE = /^(mutateTemplates[ \t]*:[ \t]*)(\S+)(.*)$/m;

function readMutate(text) {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try { return JSON.parse(trimmed).mutate === true; } catch { return null; }
  }
  const match = text.match(MUTATE_LINE);
  return match ? match[2] === "true" : false;
}

function writeMutate(text, on) {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    try {
      const settings = JSON.parse(trimmed);
      settings.mutate = on;
      settings.mutateTemplates = on;
      return JSON.stringify(settings, null, 2) + "\n";
    } catch { /* not JSON after all: edit it as YAML */ }
  }
  return writeLine(writeLine(text, MUTATE_LINE, "mutate", on), TEMPLATES_LINE, "mutateTemplates", on);
}

function writeLine(text, pattern, key, on) {
  if (pattern.test(text)) return text.replace(pattern, (_, head, _value, rest) => `${head}${on}${rest}`);
  if (!on) return text; // an absent key is already off
  return `${text}${text === "" || text.endsWith("\n") ? "" : "\n"}${key}: ${on}\n`;
}

function syncToggle() {
  const on = readMutate(ui.settings.value);
  if (on !== null) ui.mutate.checked = on;
}

// ---- rendering -------------------------------------------------------------------------------------------------

function show(element, visible) { element.hidden = !visible; }

function showError(element, text, line, textarea) {
  element.replaceChildren(document.createTextNode(text));
  if (line) {
    const jump = document.createElement("button");
    jump.type = "button";
    jump.textContent = `go to line ${line}`;
    jump.addEventListener("click", () => selectLine(textarea, line));
    element.append(jump);
  }
  show(element, true);
  textarea.classList.add("invalid");
}

function selectLine(textarea, line) {
  const lines = textarea.value.split("\n");
  const start = lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(start, start + (lines[line - 1] ?? "").length);
}

// The converted manifest as `sidecar-placement fix` writes it, with the lines that left `containers` shown struck
// through where they were and the lines that arrived in `initContainers` highlighted.
const MARKS = { kept: " ", left: "-", arrived: "+" };

function renderView(pre, view) {
  const lines = view.map(({ text, change }) => {
    const span = document.createElement("span");
    span.className = `line ${change}`;
    span.dataset.mark = MARKS[change] ?? " ";
    span.textContent = text;
    return span;
  });
  pre.replaceChildren(...lines);
}

function render(result) {
  ui.verdict.textContent = LABELS[result.decision] ?? result.decision;
  ui.verdict.className = `badge badge-${result.decision}`;

  show(ui.error, false);
  show(ui.settingsError, false);
  show(ui.nodesError, false);
  ui.manifest.classList.remove("invalid");
  ui.settings.classList.remove("invalid");
  ui.nodes.classList.remove("invalid");
  if (result.error) showError(ui.error, result.error, result.errorLine, ui.manifest);
  if (result.settingsError) {
    showError(ui.settingsError, result.settingsError, result.settingsErrorLine, ui.settings);
  }
  if (result.nodesError) showError(ui.nodesError, result.nodesError, null, ui.nodes);

  ui.message.textContent = result.message ?? "";
  show(ui.message, Boolean(result.message));

  ui.warnings.replaceChildren(...result.warnings.map((warning) => {
    const item = document.createElement("li");
    item.textContent = warning;
    return item;
  }));
  show(ui.warnings, result.warnings.length > 0);

  const converted = result.decision === "mutated";
  if (converted) {
    renderView(ui.converted, result.view);
    ui.fixError.textContent = result.fixError
      ? `The converted manifest cannot be shown as an edit of yours (sidecar-placement fix leaves such a file as it is): ${result.fixError}`
      : "";
    show(ui.fixError, Boolean(result.fixError));
    show(ui.converted, !result.fixError);
    ui.patch.textContent = JSON.stringify(result.patch, null, 2);
  }
  show(ui.convertedBlock, converted);
}

function run() {
  clearTimeout(timer);
  if (!ready) return;
  const result = evaluate(ui.manifest.value, ui.settings.value, ui.operation.value, ui.nodes.value);
  render(result);
  if (!firstResultShown) {
    firstResultShown = true;
    const ms = Math.round(performance.now());
    document.documentElement.dataset.firstResultMs = String(ms);
    ui.timing.textContent = `first result ${ms} ms after page load`;
  }
}

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(run, DEBOUNCE_MS);
}

// ---- examples --------------------------------------------------------------------------------------------------

// Every example is fetched at once, so the page works offline after load; the first result waits only for the
// first example, the settings and the module.
async function fetchText(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

const examplesList = fetchText("examples/index.json").then(JSON.parse);
const defaultSettings = fetchText("settings.yaml");
const exampleTexts = examplesList.then(
  (list) => new Map(list.map((entry) => [entry.file, fetchText(`examples/${entry.file}`)])),
);

async function pickExample(file) {
  const text = await (await exampleTexts).get(file);
  if (text === undefined || ui.example.value !== file) return; // another example was picked meanwhile
  ui.manifest.value = text;
  run();
}

// ---- start -----------------------------------------------------------------------------------------------------

async function start() {
  const [list, settings] = await Promise.all([examplesList, defaultSettings, init()]);
  ui.example.replaceChildren(...list.map((entry) => new Option(entry.title, entry.file)));
  ui.settings.value = settings;
  syncToggle();
  ready = true;
  await pickExample(list[0].file);

  ui.example.addEventListener("change", () => pickExample(ui.example.value));
  ui.operation.addEventListener("change", run);
  ui.mutate.addEventListener("change", () => {
    ui.settings.value = writeMutate(ui.settings.value, ui.mutate.checked);
    run();
  });
  ui.manifest.addEventListener("input", schedule);
  ui.nodes.addEventListener("input", schedule);
  ui.settings.addEventListener("input", () => { syncToggle(); schedule(); });

  await Promise.all((await exampleTexts).values());
  document.documentElement.dataset.examplesLoaded = "true";
}

start().catch((error) => {
  ui.verdict.textContent = "failed to load";
  ui.verdict.className = "badge badge-invalid";
  ui.error.textContent = `The playground could not start: ${error}. Serve this folder over HTTP (e.g. python3 -m http.server).`;
  show(ui.error, true);
});
