// The palette, context-menu and panel commands. Each is a thin wrapper over a server command
// (see protocol.ts); docker/test commands pass the client-side trust gate in SeamlineClient.exec.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SeamlineClient } from './client';
import { Logger } from './logger';
import { Node, TestEnvironmentPanel } from './panel';
import { Cmd, EndpointInfo, EnvStatus } from './protocol';

interface RunSummary { passed?: number; failed?: number; errors?: number }

function summary(r: RunSummary | undefined): string {
  if (!r) return 'no result';
  return `${r.passed ?? 0} passed, ${r.failed ?? 0} failed, ${r.errors ?? 0} errors`;
}

export function registerCommands(client: SeamlineClient, panel: TestEnvironmentPanel, log: Logger): vscode.Disposable[] {
  let envLogs: vscode.OutputChannel | undefined;
  const ignore = () => undefined; // errors were already shown and logged by exec
  const refreshEnv = async () => {
    if (!vscode.workspace.isTrusted) return; // the server will not talk to docker; the panel says why
    const st = await client.exec<EnvStatus>(Cmd.envStatus, [], { quiet: true }).catch(ignore);
    if (st) panel.setEnvStatus(st);
  };

  const pickEndpoint = async (): Promise<EndpointInfo | undefined> => {
    const eps = await client.exec<EndpointInfo[]>(Cmd.listEndpoints, []).catch(ignore);
    if (!eps) return undefined;
    if (eps.length === 0) {
      void vscode.window.showInformationMessage('Seamline found no HTTP endpoints in this workspace.');
      return undefined;
    }
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const items = eps.map((e) => {
      const fsPath = vscode.Uri.parse(e.file).fsPath;
      return {
        label: `$(symbol-method) ${e.key}`,
        description: `${e.handler} · ${e.testStatus}`,
        detail: `${root ? path.relative(root, fsPath) : fsPath}:${e.line}`,
        endpoint: e,
      };
    });
    const picked = await vscode.window.showQuickPick(items, { title: 'Seamline: Generate Integration Tests for Endpoint', placeHolder: 'Pick an endpoint', matchOnDescription: true, matchOnDetail: true });
    return picked?.endpoint;
  };

  const generate = async (e: Pick<EndpointInfo, 'file' | 'key'>) => {
    await client.exec(Cmd.generateTestsForEndpoint, [e.file, e.key], { progress: `Seamline: generating tests for ${e.key}` }).catch(ignore);
  };

  const runTests = async (key?: string) => {
    const r = await client.exec<RunSummary>(Cmd.runTests, key ? [key] : [], { progress: key ? `Seamline: running tests for ${key}` : 'Seamline: running integration tests' }).catch(ignore);
    if (r) {
      const msg = `Seamline tests: ${summary(r)}`;
      log.info(msg);
      if ((r.failed ?? 0) + (r.errors ?? 0) > 0) void vscode.window.showWarningMessage(msg); else void vscode.window.showInformationMessage(msg);
    }
  };

  const reg = vscode.commands.registerCommand;
  return [
    reg('seamline.restartServer', () => client.restart()),
    reg('seamline.showServerLog', () => log.channel.show()),
    reg('seamline.refreshPanel', async () => { await refreshEnv(); panel.refresh(); }),
    reg('seamline.generateTestsForEndpointPick', async () => {
      const e = await pickEndpoint();
      if (e) await generate(e);
    }),
    reg('seamline.generateTestsForThisEndpoint', async (node?: Node) => {
      if (node?.endpoint) await generate(node.endpoint);
      else await vscode.commands.executeCommand('seamline.generateTestsForEndpointPick');
    }),
    reg('seamline.createComposeEnvironment', () =>
      client.exec(Cmd.createComposeEnv, [], { progress: 'Seamline: writing the compose test environment' }).catch(ignore)),
    reg('seamline.startEnvironment', async () => {
      await client.exec(Cmd.envUp, [], { progress: 'Seamline: starting the test environment' }).catch(ignore);
      await refreshEnv();
    }),
    reg('seamline.stopEnvironment', async () => {
      await client.exec(Cmd.envDown, [], { progress: 'Seamline: stopping the test environment' }).catch(ignore);
      await refreshEnv();
    }),
    reg('seamline.runIntegrationTests', () => runTests()),
    reg('seamline.runEndpointTests', (node?: Node) => runTests(node?.endpoint?.key)),
    reg('seamline.showEnvironmentLogs', async (node?: Node) => {
      const service = node?.service?.name;
      const text = await client.exec<string>(Cmd.envLogs, service ? [service] : [], { progress: 'Seamline: fetching environment logs' }).catch(ignore);
      if (text === undefined) return;
      envLogs ??= vscode.window.createOutputChannel('Seamline: Environment Logs');
      envLogs.clear();
      envLogs.append(typeof text === 'string' ? text : JSON.stringify(text, null, 2));
      envLogs.show(true);
    }),
    new vscode.Disposable(() => envLogs?.dispose()),
  ];
}
