// Visible state: a status bar item (server + test environment) and a Python language status item
// (busy / error / "Open logs"), so users and CI can see why Seamline is idle.
import * as vscode from 'vscode';
import { EnvStatus } from './protocol';

export type ServerState = 'stopped' | 'starting' | 'running' | 'error';

export interface StatusSnapshot {
  server: ServerState;
  trusted: boolean;
  detail?: string;          // error text or interpreter description
  env?: EnvStatus;
}

export function describeEnv(env: EnvStatus | undefined): { icon: string; text: string; tooltip: string } {
  if (!env) return { icon: '$(circle-outline)', text: 'env: unknown', tooltip: 'No environment status from the server yet.' };
  if (!env.trusted) return { icon: '$(shield)', text: 'analysis only', tooltip: 'The workspace is untrusted: Seamline analyses code but starts no containers and runs no tests.' };
  if (!env.engine) return { icon: '$(circle-slash)', text: 'no docker', tooltip: env.message ?? 'No docker engine answers.' };
  const svcs = env.services ?? [];
  if (!env.project || svcs.length === 0) return { icon: '$(circle-outline)', text: 'env: none', tooltip: env.message ?? 'No compose test environment yet: run "Seamline: Create Compose Test Environment".' };
  const running = svcs.filter((s) => s.state === 'running');
  if (running.length === 0) return { icon: '$(debug-stop)', text: 'env: stopped', tooltip: env.message ?? `${svcs.length} service(s), none running.` };
  const unhealthy = running.filter((s) => s.health === 'unhealthy');
  const starting = running.filter((s) => s.health === 'starting');
  const list = svcs.map((s) => `${s.name}: ${s.state}${s.health && s.health !== 'none' ? ` (${s.health})` : ''}`).join('\n');
  if (unhealthy.length) return { icon: '$(warning)', text: `env: ${unhealthy.length} unhealthy`, tooltip: list };
  if (starting.length) return { icon: '$(sync~spin)', text: `env: starting ${running.length}/${svcs.length}`, tooltip: list };
  return { icon: '$(pass-filled)', text: `env: ${running.length}/${svcs.length} up`, tooltip: list };
}

export class Status implements vscode.Disposable {
  private readonly bar: vscode.StatusBarItem;
  private readonly lang: vscode.LanguageStatusItem;
  private snap: StatusSnapshot = { server: 'stopped', trusted: vscode.workspace.isTrusted };

  constructor() {
    this.bar = vscode.window.createStatusBarItem('seamline.status', vscode.StatusBarAlignment.Left, 50);
    this.bar.name = 'Seamline';
    this.bar.command = 'workbench.view.extension.seamline';
    this.lang = vscode.languages.createLanguageStatusItem('seamline.server', { language: 'python' });
    this.lang.name = 'Seamline';
    this.lang.command = { title: 'Open logs', command: 'seamline.showServerLog' };
    this.render();
    this.bar.show();
  }

  get snapshot(): Readonly<StatusSnapshot> { return this.snap; }

  update(patch: Partial<StatusSnapshot>): void {
    this.snap = { ...this.snap, ...patch };
    this.render();
  }

  private render(): void {
    const s = this.snap;
    const lang = this.lang;
    lang.busy = s.server === 'starting';
    lang.severity = s.server === 'error' ? vscode.LanguageStatusSeverity.Error : vscode.LanguageStatusSeverity.Information;
    lang.text = { stopped: 'Seamline: stopped', starting: 'Seamline: starting', running: 'Seamline', error: 'Seamline: error' }[s.server];
    lang.detail = s.detail;

    this.bar.backgroundColor = undefined;
    if (s.server === 'error') {
      this.bar.text = '$(error) Seamline';
      this.bar.tooltip = `Seamline server is not running: ${s.detail ?? 'see the log'}`;
      this.bar.command = 'seamline.showServerLog';
      this.bar.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
      return;
    }
    this.bar.command = 'workbench.view.extension.seamline';
    if (s.server === 'starting' || s.server === 'stopped') {
      this.bar.text = s.server === 'starting' ? '$(sync~spin) Seamline' : '$(circle-outline) Seamline';
      this.bar.tooltip = s.server === 'starting' ? 'Seamline server is starting…' : 'Seamline server is stopped.';
      return;
    }
    if (!s.trusted) {
      this.bar.text = '$(shield) Seamline: analysis only';
      this.bar.tooltip = 'This workspace is untrusted: Seamline analyses code but starts no containers, runs no tests and makes no LLM calls. Trust the workspace to enable them.';
      return;
    }
    const d = describeEnv(s.env);
    this.bar.text = `${d.icon} Seamline ${d.text}`;
    this.bar.tooltip = d.tooltip;
  }

  dispose(): void {
    this.bar.dispose();
    this.lang.dispose();
  }
}
