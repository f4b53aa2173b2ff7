// Every seamline.* setting read in one place into a typed value; variable expansion and the list
// of restart-relevant keys live here too (STYLE.md §4, "Settings in one module").
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

export type LogLevel = 'error' | 'warning' | 'info' | 'debug';

export interface ISettings {
  /** Client only: the Python that runs the server ("" = discover). Already expanded. */
  interpreter: string;
  diagnostics: { untestedEndpoints: boolean };
  codeLens: { enabled: boolean };
  testsOutput: string;
  logLevel: LogLevel;
  images: Record<string, string>;
}

const LOG_LEVELS: readonly LogLevel[] = ['error', 'warning', 'info', 'debug'];

/** Keys whose change needs a new server process (everything else the server re-pulls itself). */
export const RESTART_KEYS = ['seamline.interpreter', 'seamline.logLevel'] as const;

export function checkIfConfigurationChanged(e: vscode.ConfigurationChangeEvent): boolean {
  return RESTART_KEYS.some((k) => e.affectsConfiguration(k));
}

/** Expands ${workspaceFolder}, ${workspaceFolderBasename}, ${userHome}, ${env:NAME} and a leading ~. */
export function expandVariables(value: string, folder?: vscode.WorkspaceFolder): string {
  const home = os.homedir();
  let out = value.replace(/\$\{(workspaceFolder|workspaceFolderBasename|userHome|env:([^}]+))\}/g, (m, key: string, env?: string) => {
    if (env !== undefined) return process.env[env] ?? '';
    if (key === 'userHome') return home;
    if (!folder) return m;
    return key === 'workspaceFolder' ? folder.uri.fsPath : path.basename(folder.uri.fsPath);
  });
  if (out === '~' || out.startsWith('~/')) out = path.join(home, out.slice(1));
  // A relative path in a folder setting means relative to that folder.
  if (folder && out && !path.isAbsolute(out) && out.includes('/')) out = path.resolve(folder.uri.fsPath, out);
  return out ? path.normalize(out) : out;
}

export function getSettings(folder?: vscode.WorkspaceFolder): ISettings {
  const c = vscode.workspace.getConfiguration('seamline', folder?.uri);
  const level = c.get<string>('logLevel', 'info');
  const images = c.get<Record<string, unknown>>('images', {}) ?? {};
  return {
    interpreter: expandVariables((c.get<string>('interpreter', '') ?? '').trim(), folder),
    diagnostics: { untestedEndpoints: c.get<boolean>('diagnostics.untestedEndpoints', true) },
    codeLens: { enabled: c.get<boolean>('codeLens.enabled', false) },
    testsOutput: c.get<string>('testsOutput', 'tests/integration') || 'tests/integration',
    logLevel: (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : 'info',
    images: Object.fromEntries(Object.entries(images).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
  };
}

/** What the server receives in initializationOptions.settings (the interpreter is client only). */
export function serverSettings(s: ISettings): Omit<ISettings, 'interpreter'> {
  const { interpreter: _unused, ...rest } = s;
  void _unused;
  return rest;
}

/** The folder whose settings decide the interpreter: one server serves the workspace, so the first. */
export function primaryFolder(): vscode.WorkspaceFolder | undefined {
  return vscode.workspace.workspaceFolders?.[0];
}
