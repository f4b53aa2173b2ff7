// Owns the LanguageClient: starting/restarting (serialised), the per-client listeners, the trust
// gate for commands that start containers or run tests, and the wrappers the UI commands call.
import { isDeepStrictEqual } from 'node:util';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest, LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind,
} from 'vscode-languageclient/node';
import { checkSeamline, InterpreterChoice, resolveInterpreter } from './interpreter';
import { Logger } from './logger';
import { TestEnvironmentPanel } from './panel';
import {
  Cmd, ENV_STATUS, EnvStatus, PROJECT_MODEL, ProjectModel, TEST_RESULTS, TestResults, TRUST_CHANGED, TRUSTED_ONLY,
} from './protocol';
import { getSettings, primaryFolder, serverSettings } from './settings';
import { Status } from './status';

// One in-flight (re)start and at most one queued follow-up (STYLE.md §4, after ruff-vscode).
let running: Promise<void> | undefined, again = false;
export function requestRestart(start: () => Promise<void>): Promise<void> {
  if (running) { again = true; return running; }
  return (running = (async () => {
    try { do { again = false; await start(); } while (again); } finally { running = undefined; }
  })());
}

export interface ExecOptions {
  /** Show a cancellable progress notification with this title. */
  progress?: string;
  /** Don't show error popups (tests, background refreshes). */
  quiet?: boolean;
}

export class SeamlineClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private perClient: vscode.Disposable[] = [];
  private choice: InterpreterChoice | undefined;
  private stopping = false;
  private lastProblem: string | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: Logger,
    private readonly status: Status,
    private readonly panel: TestEnvironmentPanel,
  ) {}

  get languageClient(): LanguageClient | undefined { return this.client; }
  get interpreter(): InterpreterChoice | undefined { return this.choice; }
  get problem(): string | undefined { return this.lastProblem; }
  get isRunning(): boolean { return this.client?.state === State.Running; }

  /** Starts, or restarts, the server; concurrent calls share one restart. */
  restart(): Promise<void> { return requestRestart(() => this.startOnce()); }

  /** Resolves when no (re)start is in flight. */
  async settled(): Promise<void> { while (running) await running; }

  /**
   * Re-resolves the interpreter and restarts only when the choice changed (settings, Python
   * extension, trust); otherwise `otherwise` runs (e.g. telling the server trust was granted).
   */
  async restartIfInterpreterChanged(why: string, otherwise?: () => Promise<void>): Promise<void> {
    const next = await resolveInterpreter(primaryFolder(), vscode.workspace.isTrusted, this.log);
    if (!this.client || !isDeepStrictEqual(next, this.choice)) {
      this.log.info(`${why}: interpreter choice changed, restarting the server`);
      return this.restart();
    }
    this.log.info(`${why}: interpreter unchanged (${next.path})`);
    await otherwise?.();
  }

  async onTrustGranted(): Promise<void> {
    this.panel.setTrusted(true);
    this.status.update({ trusted: true });
    await this.restartIfInterpreterChanged('workspace trust granted', async () => {
      await this.client?.sendNotification(TRUST_CHANGED, { trusted: true });
    });
  }

  private async startOnce(): Promise<void> {
    await this.stopClient();
    const trusted = vscode.workspace.isTrusted;
    const folder = primaryFolder();
    this.panel.setTrusted(trusted);
    this.panel.setServerProblem(undefined);
    this.status.update({ server: 'starting', trusted, detail: undefined });

    const choice = await resolveInterpreter(folder, trusted, this.log);
    this.choice = choice;
    this.log.info(`Seamline server interpreter: ${choice.path} — ${choice.reason}`);
    this.log.info(`Environment analysed: ${choice.analysedEnvironment ?? 'none reported (the Python extension is not installed); Seamline reads the sources statically'}`);
    if (!trusted) this.log.info('Workspace is untrusted: analysis only (no docker, no test runs, no LLM calls).');

    const check = await checkSeamline(choice);
    if (!check.ok) {
      this.fail(check.problem ?? 'unknown problem', true);
      return;
    }
    this.log.info(`seamline ${check.version} on Python ${check.pythonVersion}`);

    const settings = getSettings(folder);
    const serverOptions: ServerOptions = {
      command: choice.path,
      args: ['-m', 'seamline.cli', 'serve'],
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
    };
    const watcher = vscode.workspace.createFileSystemWatcher(
      '**/{*.py,pyproject.toml,seamline.toml,setup.cfg,requirements*.txt,.env,compose*.yaml,compose*.yml,docker-compose*.yaml,docker-compose*.yml}');
    this.perClient.push(watcher);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'python' }, { scheme: 'untitled', language: 'python' }],
      outputChannel: this.log.channel,
      initializationOptions: { trusted, settings: serverSettings(settings) },
      synchronize: { configurationSection: 'seamline', fileEvents: watcher },
      middleware: {
        // Server commands invoked through VS Code (code actions, tests) pass the same trust gate.
        executeCommand: async (command, args, next) => {
          if (!this.allowed(command)) return undefined;
          return next(command, args);
        },
      },
    };
    const client = new LanguageClient('seamline', 'Seamline', serverOptions, clientOptions);
    this.perClient.push(
      client.onNotification(ENV_STATUS, (p: EnvStatus) => { this.panel.setEnvStatus(p); this.status.update({ env: p }); }),
      client.onNotification(PROJECT_MODEL, (p: ProjectModel) => this.panel.setProjectModel(p)),
      client.onNotification(TEST_RESULTS, (p: TestResults) => this.panel.setTestResults(p)),
      client.onDidChangeState((e) => {
        if (e.newState === State.Running) this.status.update({ server: 'running', detail: `${choice.path} (${choice.source})` });
        else if (e.newState === State.Stopped && !this.stopping) this.fail('the server stopped unexpectedly; see the Seamline log', false);
      }),
    );
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      this.fail(`the server did not start: ${e instanceof Error ? e.message : String(e)}`, false);
      return;
    }
    this.lastProblem = undefined;
    this.status.update({ server: 'running', detail: `${choice.path} (${choice.source})` });
    this.log.info('Seamline server started');
    if (trusted) {
      // The first environment snapshot; later ones arrive as seamline/envStatus notifications.
      client.sendRequest(ExecuteCommandRequest.type, { command: Cmd.envStatus, arguments: [] }).then((st) => {
        if (st && this.client === client) { this.panel.setEnvStatus(st as EnvStatus); this.status.update({ env: st as EnvStatus }); }
      }, (e) => { if (this.client === client) this.log.warn(`environment status: ${e instanceof Error ? e.message : String(e)}`); });
    }
  }

  private fail(problem: string, hint: boolean): void {
    this.lastProblem = problem;
    this.log.error(problem);
    this.status.update({ server: 'error', detail: problem });
    this.panel.setServerProblem(problem.split('. Fix:')[0]);
    if (hint) void this.hintOnce(problem);
  }

  /** Pops the interpreter problem up once per interpreter; the status item keeps showing it. */
  private async hintOnce(problem: string): Promise<void> {
    const key = `seamline.hinted:${this.choice?.path ?? ''}`;
    if (this.context.globalState.get<boolean>(key)) return;
    await this.context.globalState.update(key, true);
    const pick = await vscode.window.showErrorMessage(`Seamline: ${problem}`, 'Open Settings', 'Show Log');
    if (pick === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'seamline.interpreter');
    if (pick === 'Show Log') this.log.channel.show();
  }

  private allowed(command: string): boolean {
    if (!TRUSTED_ONLY.has(command) || vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(
      'Seamline: this workspace is untrusted, so Seamline only analyses code (no docker, no test runs). Trust the workspace to use this command.',
      'Manage Workspace Trust',
    ).then((p) => p && vscode.commands.executeCommand('workbench.trust.manage'));
    this.log.warn(`refused ${command}: the workspace is untrusted`);
    return false;
  }

  /** Runs a server command (workspace/executeCommand) with the trust gate, progress and errors. */
  async exec<T = unknown>(command: string, args: unknown[] = [], opts: ExecOptions = {}): Promise<T | undefined> {
    if (!this.allowed(command)) return undefined;
    await this.settled();
    const client = this.client;
    if (!client || client.state !== State.Running) {
      const why = this.lastProblem ?? 'the Seamline server is not running';
      if (!opts.quiet) {
        void vscode.window.showErrorMessage(`Seamline: ${why}`, 'Show Log', 'Restart Server').then((p) => {
          if (p === 'Show Log') this.log.channel.show();
          if (p === 'Restart Server') void this.restart();
        });
      }
      throw new Error(why);
    }
    const send = (token?: vscode.CancellationToken) =>
      client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args }, token) as Promise<T>;
    try {
      if (!opts.progress) return await send();
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: opts.progress, cancellable: true },
        (_p, token) => send(token));
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.log.error(`${command} failed: ${msg}`);
      if (!opts.quiet) void vscode.window.showErrorMessage(`Seamline: ${msg}`);
      throw e;
    }
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.stopping = true;
    try {
      if (client) {
        this.log.info('stopping the Seamline server');
        try { await client.stop(5000); } catch (e) { this.log.warn(`stop: ${String(e)}`); }
        try { await client.dispose(); } catch { /* already gone */ }
      }
    } finally {
      this.stopping = false;
      for (const d of this.perClient.splice(0)) d.dispose();
      this.panel.clear();
      this.status.update({ server: 'stopped', env: undefined });
    }
  }

  async stop(): Promise<void> { await this.stopClient(); }

  dispose(): void { void this.stopClient(); }
}
