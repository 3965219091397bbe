// The playground in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core; no browser is
// downloaded). Run by `make browser-tests` after web/dist is built; screenshots go to artifacts/ at the repo root.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { existsSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, "..", "dist");
const artifacts = path.resolve(here, "..", "..", "artifacts");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const wasm = path.join(dist, "pkg", "sidecar_placement_web_bg.wasm");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".yaml": "text/yaml; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
};

/** A static server for web/dist on a free loopback port, like any static host. */
function serve(root) {
  const server = http.createServer(async (request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    const file = path.join(root, path.normalize(decodeURIComponent(url.pathname)).replace(/^(\.\.[/\\])+/, ""));
    const target = file.endsWith(path.sep) ? path.join(file, "index.html") : file;
    if (!target.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(target);
      response.writeHead(200, { "content-type": TYPES[path.extname(target)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

let server;
let url;
let profile;
let context;
let page;
const problems = [];

before(async () => {
  assert.ok(existsSync(path.join(dist, "index.html")), `${dist} is not built: run make web-dist`);
  assert.ok(existsSync(executablePath), `${executablePath} not found: apt-get install chromium chromium-driver`);
  await mkdir(artifacts, { recursive: true });
  ({ server, url } = await serve(dist));
  profile = await mkdtemp(path.join(os.tmpdir(), "playground-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
});

after(async () => {
  await context?.close();
  server?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
});

const visibleText = async (selector) => {
  await page.waitForSelector(`${selector}:not([hidden])`, { timeout: 10_000 });
  return page.locator(selector).innerText();
};

test("loads and shows the first verdict", { timeout: 60_000 }, async () => {
  const started = Date.now();
  await page.goto(url);
  await page.waitForSelector("#verdict.badge-accepted", { timeout: 30_000 });
  const wallMs = Date.now() - started;
  const firstResultMs = Number(await page.evaluate(() => document.documentElement.dataset.firstResultMs));
  assert.ok(firstResultMs > 0, "the page records when it showed its first verdict");
  const bytes = statSync(wasm).size;
  console.log(`time to first result: ${firstResultMs} ms (performance.now() at first verdict; ${wallMs} ms seen from the test)`);
  console.log(`browser module: ${bytes} bytes (${(bytes / 1024).toFixed(0)} KiB)`);
  assert.equal(await page.locator("#example").inputValue(), "my-app-native-sidecar.yaml");
});

test("works offline after load: the legacy vault-agent is rejected", { timeout: 30_000 }, async () => {
  await page.waitForSelector("html[data-examples-loaded]");
  await context.setOffline(true);
  await page.selectOption("#example", "deployment-legacy-vault-agent.yaml");
  await page.waitForSelector("#verdict.badge-rejected");
  const message = await visibleText("#message");
  assert.match(message, /vault-agent/);
  assert.match(message, /declare it in/);
  assert.ok(await page.locator("#converted-block").isHidden(), "nothing converted while mutate is off");
});

test("mutate on: the sidecar moves to initContainers with restartPolicy: Always", { timeout: 30_000 }, async () => {
  await page.check("#mutate");
  await page.waitForSelector("#verdict.badge-mutated");
  assert.match(await page.locator("#settings").inputValue(), /^mutate: true$/m, "the toggle flips `mutate`");
  const converted = await visibleText("#converted");
  const lines = converted.split("\n");
  const start = lines.findIndex((line) => line.trim() === "initContainers:");
  assert.ok(start >= 0, `no initContainers in:\n${converted}`);
  const indent = lines[start].search(/\S/);
  const block = [];
  for (const line of lines.slice(start + 1)) {
    const lineIndent = line.search(/\S/);
    if (lineIndent < indent || (lineIndent === indent && !line.trimStart().startsWith("-"))) break;
    block.push(line);
  }
  assert.ok(block.some((line) => line.trim() === "- name: vault-agent"), block.join("\n"));
  assert.ok(block.some((line) => line.trim() === "restartPolicy: Always"), block.join("\n"));
  const arrived = await page.locator("#converted .line.arrived").allInnerTexts();
  assert.ok(arrived.some((line) => line.trim() === "restartPolicy: Always"), "the new line is highlighted");
  assert.ok(arrived.some((line) => line.trim() === "initContainers:"), "the new list is highlighted");
  const left = await page.locator("#converted .line.left").allInnerTexts();
  assert.ok(left.some((line) => line.trim() === "- name: vault-agent"), `the lines that left containers are marked: ${left}`);
  assert.match(await page.locator("#settings").inputValue(), /^mutateTemplates: true$/m, "the toggle converts templates too");
  await page.screenshot({ path: path.join(artifacts, "playground.png"), fullPage: true });
});

test("node kubelets: an old node leaves the sidecar in place, with a warning naming it", { timeout: 30_000 }, async () => {
  await page.selectOption("#example", "deployment-legacy-vault-agent.yaml");
  await page.waitForSelector("#verdict.badge-mutated");
  await page.fill("#nodes", "v1.30.2, worker-b=v1.28.9");
  await page.waitForSelector("#verdict.badge-accepted");
  const warnings = await page.locator("#warnings li").allInnerTexts();
  assert.equal(warnings.length, 1, warnings.join("\n"));
  assert.match(warnings[0], /^sidecar placement not enforced: container 'vault-agent'/);
  assert.match(warnings[0], /node 'worker-b' \(kubelet v1\.28\.9\) does not run kubelet 1\.29 or later/);
  assert.ok(await page.locator("#converted-block").isHidden(), "nothing converted where a node cannot run it");
  await page.fill("#nodes", "v1.30.2, v1.31.0+k3s1");
  await page.waitForSelector("#verdict.badge-mutated");
  // A ready cluster converts, and the page shows the converted manifest (issue 14: it showed an internal error).
  const converted = await visibleText("#converted");
  assert.match(converted, /^\s*restartPolicy: Always$/m, converted);
  assert.ok(await page.locator("#fix-error").isHidden(), await page.locator("#fix-error").innerText());
  const arrived = await page.locator("#converted .line.arrived").allInnerTexts();
  assert.ok(arrived.some((line) => line.trim() === "- name: vault-agent"), `arrived: ${arrived}`);
  await page.fill("#nodes", "worker-a=");
  await page.waitForSelector("#verdict.badge-invalid");
  assert.match(await visibleText("#nodes-error"), /write NAME=VERSION/);
  await page.fill("#nodes", "");
  await page.waitForSelector("#verdict.badge-mutated");
});

test("broken YAML is reported with its line", { timeout: 30_000 }, async () => {
  const manifest = page.locator("#manifest");
  await manifest.fill("apiVersion: v1\nkind: Pod\nmetadata:\n");
  await manifest.press("End");
  await manifest.pressSequentially("  name: web: broken\nspec: {}\n");
  await page.waitForSelector("#verdict.badge-invalid");
  const error = await visibleText("#error");
  assert.match(error, /line 4/, error);
  assert.match(error, /go to line 4/, "the error offers to jump to its line");
  await page.click("#error button");
  const selected = await page.evaluate(() => {
    const area = document.getElementById("manifest");
    return area.value.slice(area.selectionStart, area.selectionEnd);
  });
  assert.equal(selected, "  name: web: broken");
  await page.screenshot({ path: path.join(artifacts, "playground-error.png"), fullPage: true });
});

test("on a phone the editors stack", { timeout: 30_000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.selectOption("#example", "job-legacy-cloud-sql-proxy.yaml");
  await page.waitForSelector("#verdict.badge-mutated");
  const manifest = await page.locator("#manifest").boundingBox();
  const settings = await page.locator("#settings").boundingBox();
  assert.ok(settings.y >= manifest.y + manifest.height, "settings below the manifest");
  assert.ok(manifest.width <= 390, "no horizontal overflow of the editor");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
  await page.screenshot({ path: path.join(artifacts, "playground-phone.png"), fullPage: true });
});

test("no errors in the console", () => {
  assert.deepEqual(problems, []);
});
