// Activation only wires things together (STYLE.md §4): the log, status, panel, client and
// commands; the server starts after activate returns. The returned object is the test API.
import * as vscode from 'vscode';
import { SeamlineClient } from './client';
import { registerCommands } from './commands';
import { onPythonEnvironmentChanged } from './interpreter';
import { createLogger } from './logger';
import { Node, TestEnvironmentPanel } from './panel';
import { checkIfConfigurationChanged } from './settings';
import { Status } from './status';

let client: SeamlineClient | undefined;

export interface SeamlineApi {
  panel: TestEnvironmentPanel;
  client: SeamlineClient;
  status: Status;
  view: vscode.TreeView<Node>;
}

export function activate(context: vscode.ExtensionContext): SeamlineApi {
  const log = createLogger('Seamline');
  const status = new Status();
  const panel = new TestEnvironmentPanel(() => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath);
  client = new SeamlineClient(context, log, status, panel);
  const c = client;
  const view = vscode.window.createTreeView('seamline.testEnvironment', { treeDataProvider: panel, showCollapseAll: true });
  context.subscriptions.push(
    log, status, panel, c, view,
    ...registerCommands(c, panel, log),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!checkIfConfigurationChanged(e)) return;
      void (e.affectsConfiguration('seamline.logLevel') ? c.restart() : c.restartIfInterpreterChanged('seamline.interpreter changed'));
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => void c.restart()),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void c.onTrustGranted()),
    onPythonEnvironmentChanged(() => void c.restartIfInterpreterChanged('the Python extension changed the active environment')),
  );
  log.info(`Seamline ${context.extension.packageJSON.version} activating (VS Code ${vscode.version}, trusted: ${vscode.workspace.isTrusted})`);
  void c.restart(); // runs on after activate returns; tests await client.settled()
  return { panel, client: c, status, view };
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
