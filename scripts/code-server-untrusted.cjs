#!/usr/bin/env node
// code-server-untrusted.cjs - code-server with workspace trust ON, for the untrusted-workspace e2e
// (scripts/e2e.sh untrusted). The shared vscode-e2e runner (read-only in CI) always passes
// --disable-workspace-trust; pointing its VSCODE_E2E_CODE_SERVER here drops that flag, merges the
// user settings below into the throwaway --user-data-dir, and hands over to the real code-server
// in this process, so the runner still owns starting, driving and stopping it.
//
//   SEAMLINE_E2E_REAL_CODE_SERVER   the real code-server entry (the recipe's VSCODE_E2E_CODE_SERVER)
//   SEAMLINE_E2E_USER_SETTINGS      JSON object merged into the user settings (e.g. seamline.interpreter:
//                                   in an untrusted workspace VS Code ignores the workspace's value)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const real = process.env.SEAMLINE_E2E_REAL_CODE_SERVER;
if (!real) {
  console.error('code-server-untrusted: set SEAMLINE_E2E_REAL_CODE_SERVER to the real code-server');
  process.exit(2);
}

// A fresh user-data-dir has never trusted anything, so the workspace opens in Restricted Mode;
// no startup prompt, which would be a modal dialog over the window.
const TRUST = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.emptyWindow': false,
};

const argv = process.argv.filter((a) => a !== '--disable-workspace-trust');
const dataDir = argv[argv.indexOf('--user-data-dir') + 1];
if (!argv.includes('--user-data-dir') || !dataDir) {
  console.error('code-server-untrusted: needs --user-data-dir (the runner passes a throwaway one)');
  process.exit(2);
}
const file = path.join(dataDir, 'User', 'settings.json');
const existing = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {};
const extra = JSON.parse(process.env.SEAMLINE_E2E_USER_SETTINGS || '{}');
fs.mkdirSync(path.dirname(file), { recursive: true });
fs.writeFileSync(file, JSON.stringify({ ...existing, ...extra, ...TRUST }, null, 2));

process.argv = [argv[0], fs.realpathSync(real), ...argv.slice(2)];
require(fs.realpathSync(real));
