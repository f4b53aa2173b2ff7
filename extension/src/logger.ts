// One log channel for the client; echoed to the console under CI=true so headless runs show
// why the extension is idle (ruff-vscode's logger.ts does the same).
import * as vscode from 'vscode';

export interface Logger {
  readonly channel: vscode.LogOutputChannel;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

export function createLogger(name: string): Logger & vscode.Disposable {
  const channel = vscode.window.createOutputChannel(name, { log: true });
  const echo = process.env.CI === 'true' || process.env.SEAMLINE_LOG_CONSOLE === '1';
  const say = (level: 'info' | 'warn' | 'error' | 'debug', msg: string) => {
    channel[level](msg);
    if (echo) console.log(`${new Date().toISOString().slice(11, 23)} [seamline ${level}] ${msg}`);
  };
  return {
    channel,
    info: (m) => say('info', m),
    warn: (m) => say('warn', m),
    error: (m) => say('error', m),
    debug: (m) => say('debug', m),
    dispose: () => channel.dispose(),
  };
}
