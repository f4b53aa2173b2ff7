// Helpers for the e2e tests. Tests reach the extension through the API activate() returns; the
// types below mirror the parts they use (the tests compile separately from the bundle).
import * as vscode from 'vscode';

export interface TreeNode {
  id: string;
  kind: 'notice' | 'group' | 'service' | 'app' | 'router' | 'endpoint';
  label: string;
  children?: TreeNode[];
  service?: { name: string; kind: string; state: string };
  endpoint?: { key: string; status: string; file: string; line: number };
}

export interface Api {
  panel: {
    getChildren(n?: TreeNode): TreeNode[];
    getTreeItem(n: TreeNode): vscode.TreeItem;
    snapshot: { env?: unknown; model?: { endpoints: { key: string }[] } };
  };
  client: {
    restart(): Promise<void>;
    settled(): Promise<void>;
    exec<T>(command: string, args?: unknown[], opts?: { quiet?: boolean }): Promise<T | undefined>;
    isRunning: boolean;
    problem: string | undefined;
    interpreter: { path: string; source: string; reason: string } | undefined;
    /** The LanguageClient itself: requests sent on it skip the client's trust gate. */
    languageClient: { sendRequest<R>(method: string, params: unknown): Promise<R> } | undefined;
  };
  status: { snapshot: { server: string; trusted: boolean } };
  view: vscode.TreeView<TreeNode>;
}

export const EXTENSION_ID = 'seamline.seamline';

export function workspaceRoot(): vscode.Uri {
  const f = vscode.workspace.workspaceFolders?.[0];
  if (!f) throw new Error('no workspace folder open');
  return f.uri;
}

export const itemsFile = () => vscode.Uri.joinPath(workspaceRoot(), 'app', 'api', 'routes', 'items.py');

export async function api(): Promise<Api> {
  const ext = vscode.extensions.getExtension<Api>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  const a = ext.isActive ? ext.exports : await ext.activate();
  await a.client.settled();
  return a;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as T;
    } catch (e) { last = e; }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(250);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 0-based line of the first line containing `needle`. */
export function lineOf(doc: vscode.TextDocument, needle: string): number {
  for (let i = 0; i < doc.lineCount; i++) if (doc.lineAt(i).text.includes(needle)) return i;
  throw new Error(`${needle} not found in ${doc.uri.fsPath}`);
}

export type ActionLike = vscode.CodeAction | vscode.Command;

export async function codeActionsAt(uri: vscode.Uri, line: number): Promise<ActionLike[]> {
  const range = new vscode.Range(line, 4, line, 4);
  return (await vscode.commands.executeCommand<ActionLike[]>('vscode.executeCodeActionProvider', uri, range, undefined, 100)) ?? [];
}

/** Applies a code action the way the lightbulb does: its edit first, then its command. */
export async function applyAction(a: ActionLike): Promise<void> {
  if (typeof (a as vscode.Command).command === 'string') {
    const c = a as vscode.Command;
    await vscode.commands.executeCommand(c.command, ...(c.arguments ?? []));
    return;
  }
  const ca = a as vscode.CodeAction;
  if (ca.edit && !(await vscode.workspace.applyEdit(ca.edit))) throw new Error(`applyEdit refused the edit of "${ca.title}"`);
  if (ca.command) await vscode.commands.executeCommand(ca.command.command, ...(ca.command.arguments ?? []));
}
