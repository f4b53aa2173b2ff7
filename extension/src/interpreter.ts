// Which Python runs the Seamline server, and why. Order (STYLE.md §4): the seamline.interpreter
// setting -> the Python extension's active environment -> python3. Every step is logged, and a
// failed `import seamline` ends in a message naming both fixes.
import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import { Logger } from './logger';
import { getSettings } from './settings';

export type InterpreterSource = 'setting' | 'python-extension' | 'fallback';

export interface InterpreterChoice {
  /** Executable that runs `python -m seamline.cli serve`. */
  path: string;
  source: InterpreterSource;
  reason: string;
  /** The environment the user's project uses (what Seamline analyses), when the Python extension knows it. */
  analysedEnvironment?: string;
}

export interface SeamlineCheck {
  ok: boolean;
  version?: string;
  pythonVersion?: string;
  /** One-line explanation with the fixes, when not ok. */
  problem?: string;
}

/** The slice of the Python extension's API we use (ms-python.python >= 2023). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined;
    resolveEnvironment(env: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
  };
}

async function pythonExtensionEnvironment(folder: vscode.WorkspaceFolder | undefined, log: Logger): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) {
    log.debug('interpreter: the Python extension (ms-python.python) is not installed');
    return undefined;
  }
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    const envs = api?.environments;
    if (!envs) return undefined;
    const active = envs.getActiveEnvironmentPath(folder?.uri);
    if (!active?.path) return undefined;
    const resolved = await envs.resolveEnvironment(active);
    return resolved?.executable.uri?.fsPath ?? active.path;
  } catch (e) {
    log.warn(`interpreter: the Python extension did not answer (${String(e)}); skipping it`);
    return undefined;
  }
}

/** Subscribes to the Python extension's interpreter changes, when it is installed. */
export function onPythonEnvironmentChanged(listener: () => void): vscode.Disposable {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return new vscode.Disposable(() => undefined);
  let sub: vscode.Disposable | undefined;
  let disposed = false;
  void Promise.resolve(ext.isActive ? ext.exports : ext.activate()).then((api) => {
    const ev = api?.environments?.onDidChangeActiveEnvironmentPath;
    if (ev && !disposed) sub = ev(() => listener());
  }, () => undefined);
  return new vscode.Disposable(() => { disposed = true; sub?.dispose(); });
}

export async function resolveInterpreter(folder: vscode.WorkspaceFolder | undefined, trusted: boolean, log: Logger): Promise<InterpreterChoice> {
  // In an untrusted workspace VS Code hides the workspace's value of seamline.interpreter
  // (restrictedConfigurations), so what remains here is the user's own setting.
  const setting = getSettings(folder).interpreter;
  const pyExt = trusted ? await pythonExtensionEnvironment(folder, log) : undefined;
  if (setting) {
    return { path: setting, source: 'setting', reason: 'seamline.interpreter is set', analysedEnvironment: pyExt };
  }
  if (pyExt) {
    return { path: pyExt, source: 'python-extension', reason: "seamline.interpreter is empty; using the Python extension's active environment", analysedEnvironment: pyExt };
  }
  const why = trusted
    ? 'seamline.interpreter is empty and the Python extension has no active environment'
    : 'the workspace is untrusted, so its environments are not used';
  return { path: 'python3', source: 'fallback', reason: `${why}; falling back to python3 on PATH` };
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, env: process.env }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err ? err.message : '') });
    });
  });
}

/** Checks that the interpreter exists and can import seamline (and the server's libraries). */
export async function checkSeamline(choice: InterpreterChoice): Promise<SeamlineCheck> {
  const probe = 'import sys, seamline, pygls; print(getattr(seamline, "__version__", "?")); print(sys.version.split()[0])';
  const r = await run(choice.path, ['-c', probe], 20_000);
  const fixes = `Fix: install it there (\`${choice.path} -m pip install seamline\`, or \`bash scripts/setup.sh\` in a Seamline checkout), ` +
    'or point the setting seamline.interpreter at a Python that has it.';
  if (r.code === 0) {
    const [version, pythonVersion] = r.stdout.trim().split('\n');
    return { ok: true, version, pythonVersion };
  }
  if (/ENOENT|not found|No such file/i.test(r.stderr)) {
    return { ok: false, problem: `The interpreter ${choice.path} (${choice.source}) does not exist. ${fixes}` };
  }
  const missing = /No module named '?([\w.]+)/.exec(r.stderr)?.[1];
  return {
    ok: false,
    problem: missing
      ? `The interpreter ${choice.path} (${choice.source}) cannot import ${missing}. ${fixes}`
      : `The interpreter ${choice.path} (${choice.source}) failed to load Seamline: ${r.stderr.trim().split('\n').pop()}. ${fixes}`,
  };
}
