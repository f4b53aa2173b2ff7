// End-to-end in Restricted Mode: the real extension and server on a copy of examples/fastapi_items
// that VS Code does NOT trust (scripts/e2e.sh untrusted runs code-server through
// scripts/code-server-untrusted.cjs, which turns workspace trust on in a fresh profile).
// Seamline must still analyse, refuse docker and test runs (client gate and server alike), and say
// so in the panel. The workspace's own settings point seamline.interpreter at a script inside the
// workspace that leaves a marker file when run; the user settings name the real interpreter.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Api, api, EXTENSION_ID, itemsFile, TreeNode, waitFor, workspaceRoot } from '../suite/helpers';

/** Written by the workspace's own ".venv/bin/python" (scripts/e2e.sh) if anything runs it. */
const MARKER = 'RAN-WORKSPACE-INTERPRETER';
const EXPECTED = ['GET /api/v1/items/', 'POST /api/v1/items/', 'DELETE /api/v1/items/{item_id}'];
/** Palette/panel commands that start containers or run tests. */
const REFUSED = ['seamline.startEnvironment', 'seamline.stopEnvironment', 'seamline.runIntegrationTests', 'seamline.showEnvironmentLogs'];

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) =>
    resolve({ code: err ? (typeof err.code === 'number' ? err.code : 127) : 0, out: `${stdout}${stderr}`.trim() })));
}

function endpointsIn(roots: TreeNode[]): string[] {
  const keys: string[] = [];
  const walk = (n: TreeNode) => { if (n.endpoint) keys.push(n.endpoint.key); (n.children ?? []).forEach(walk); };
  roots.forEach(walk);
  return keys;
}

suite('Seamline in an untrusted workspace (Restricted Mode)', function () {
  let a: Api;

  suiteSetup(async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(itemsFile()));
    a = await api();
  });

  test('VS Code runs the workspace untrusted; the extension declares limited support', () => {
    assert.equal(vscode.workspace.isTrusted, false, 'the workspace must open in Restricted Mode');
    const cap = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.capabilities?.untrustedWorkspaces;
    assert.equal(cap?.supported, 'limited');
    assert.match(String(cap.description), /no docker.*no test runs.*no LLM calls/);
    for (const k of ['seamline.interpreter', 'seamline.images']) assert.ok(cap.restrictedConfigurations?.includes(k), `${k} restricted`);
  });

  test("the workspace's interpreter setting is ignored: the server runs from the user's", () => {
    assert.ok(a.client.isRunning, `server running (problem: ${a.client.problem ?? 'none'})`);
    assert.equal(a.status.snapshot.server, 'running');
    const ws = workspaceRoot().fsPath;
    const cfg = vscode.workspace.getConfiguration('seamline', workspaceRoot());
    const inspected = cfg.inspect<string>('interpreter');
    console.log(`interpreter: ${a.client.interpreter?.path} (${a.client.interpreter?.source}); workspace value ${inspected?.workspaceValue ?? inspected?.workspaceFolderValue ?? 'hidden'}`);
    assert.equal(cfg.get('interpreter'), inspected?.globalValue, 'VS Code hands out the user value of a restricted setting');
    assert.equal(a.client.interpreter?.source, 'setting');
    assert.ok(!a.client.interpreter!.path.startsWith(ws + path.sep), `interpreter ${a.client.interpreter!.path} is not the workspace's`);
    assert.ok(!fs.existsSync(path.join(ws, MARKER)), "the workspace's interpreter script ran");
  });

  test('analysis still runs: endpoints from the server and in the panel tree', async () => {
    const eps = await a.client.exec<{ key: string }[]>('seamline.listEndpoints', [], { quiet: true });
    const keys = (eps ?? []).map((e) => e.key);
    for (const k of EXPECTED) assert.ok(keys.includes(k), `${k} in ${JSON.stringify(keys)}`);
    const inTree = await waitFor('endpoints in the panel tree', () => {
      const ks = endpointsIn(a.panel.getChildren());
      return EXPECTED.every((k) => ks.includes(k)) ? ks : undefined;
    }, 60_000);
    assert.ok((a.panel.snapshot.model?.endpoints.length ?? 0) >= EXPECTED.length, 'project model received');
    console.log(`panel: ${inTree.length} endpoints`);
  });

  test('the panel says Restricted Mode first, with a way to manage trust', () => {
    const roots = a.panel.getChildren();
    assert.equal(roots[0]?.id, 'notice:untrusted', `first row: ${JSON.stringify(roots.map((n) => n.label))}`);
    assert.match(roots[0].label, /untrusted/i);
    const item = a.panel.getTreeItem(roots[0]);
    assert.equal(item.command?.command, 'workbench.trust.manage');
    assert.match(String(item.tooltip), /no containers.*no tests.*no LLM calls/);
    assert.ok(!roots.some((n) => n.id === 'notice:server'), 'no server problem shown');
    assert.equal(a.status.snapshot.trusted, false);
  });

  test('writing the compose file (analysis output) is allowed and uses the user images', async () => {
    const target = vscode.Uri.joinPath(workspaceRoot(), 'compose.test.yaml');
    await vscode.commands.executeCommand('seamline.createComposeEnvironment');
    await vscode.workspace.saveAll(false);
    const text = await waitFor('compose.test.yaml on disk', () => {
      const t = fs.existsSync(target.fsPath) ? fs.readFileSync(target.fsPath, 'utf8') : '';
      return t.includes('postgres') ? t : undefined;
    }, 30_000);
    // The workspace asks for images no engine has; restricted, so the user's (local) tags win.
    assert.match(text, /image: *postgres:15/);
    assert.doesNotMatch(text, /untrusted-only/);
  });

  test('start/stop environment, run tests and logs are refused with a clear message', async () => {
    const warnings: string[] = [];
    const original = vscode.window.showWarningMessage;
    // The extension shares this API object; record what it would pop up (toasts are hidden here).
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = (msg: string) => { warnings.push(msg); return Promise.resolve(undefined); };
    try {
      for (const c of REFUSED) await vscode.commands.executeCommand(c);
      // A server command reached through VS Code (as a code action would) passes the same gate.
      const viaVsCode = await vscode.commands.executeCommand('seamline.envUp');
      assert.equal(viaVsCode, undefined);
    } finally {
      (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    }
    console.log(`refusals: ${JSON.stringify(warnings)}`);
    assert.equal(warnings.length, REFUSED.length + 1, `one warning per command: ${JSON.stringify(warnings)}`);
    for (const w of warnings) assert.match(w, /workspace is untrusted.*no docker, no test runs.*Trust the workspace/);
  });

  test('the server refuses them too when the client gate is bypassed', async () => {
    const lc = a.client.languageClient;
    assert.ok(lc, 'language client');
    for (const command of ['seamline.envUp', 'seamline.runTests', 'seamline.envStatus', 'seamline.envLogs']) {
      await assert.rejects(lc.sendRequest('workspace/executeCommand', { command, arguments: [] }),
        (e: Error) => /workspace is untrusted, so Seamline will not/.test(e.message), `${command} refused by the server`);
    }
  });

  test('no container was started for this workspace', async function () {
    const ws = workspaceRoot().fsPath;
    const probe = 'import sys; from seamline.core.generate.compose import project_name; print(project_name(sys.argv[1]))';
    const project = await run(a.client.interpreter!.path, ['-c', probe, ws]);
    assert.equal(project.code, 0, project.out);
    const ps = await run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project.out}`]);
    if (ps.code !== 0) {
      if (process.env.REQUIRE_DOCKER === '1') assert.fail(`REQUIRE_DOCKER=1 but docker ps failed: ${ps.out}`);
      console.log(`skipped: docker does not answer (${ps.out.split('\n')[0]})`);
      this.skip();
    }
    assert.equal(ps.out, '', `containers of ${project.out}: ${ps.out}`);
    console.log(`no container of compose project ${project.out}`);
  });

  suiteTeardown(async () => {
    // Leave the panel on screen for anyone watching (or a screenshot).
    await vscode.commands.executeCommand('workbench.view.extension.seamline');
  });
});
