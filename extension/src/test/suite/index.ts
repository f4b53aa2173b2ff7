// Mocha runner loaded by the vscode-e2e recipe inside the extension host: run() rejects on failure.
// Runs every *.test.js next to it; ../untrusted/index.ts runs its folder's with the same runner.
//   SEAMLINE_E2E_GREP   only run tests whose title matches (e.g. "panel")
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/**
 * Prints one plain string per event: the recipe forwards each console.log argument as its own
 * line, so mocha's printf-style reporters come out as "%s" fragments.
 */
class LineReporter {
  constructor(runner: Mocha.Runner) {
    const t0 = Date.now();
    let passed = 0, failed = 0, pending = 0;
    runner.on('suite', (s: Mocha.Suite) => { if (s.title) console.log(`suite: ${s.title}`); });
    runner.on('pass', (t: Mocha.Test) => { passed++; console.log(`  ✔ ${t.title} (${t.duration ?? 0} ms)`); });
    runner.on('pending', (t: Mocha.Test) => { pending++; console.log(`  - ${t.title} (skipped)`); });
    runner.on('fail', (t: Mocha.Test, err: Error) => {
      failed++;
      console.log(`  ✘ ${t.fullTitle()}\n    ${err?.stack ?? String(err)}`);
    });
    runner.on('end', () => console.log(`${passed} passed, ${failed} failed, ${pending} skipped in ${((Date.now() - t0) / 1000).toFixed(1)} s`));
  }
}

export async function runTestsIn(dir: string): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 120_000, reporter: LineReporter as unknown as Mocha.ReporterConstructor });
  if (process.env.SEAMLINE_E2E_GREP) mocha.grep(process.env.SEAMLINE_E2E_GREP);
  for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort()) {
    mocha.addFile(path.join(dir, f));
  }
  const failures = await new Promise<number>((resolve, reject) => {
    try { mocha.run(resolve); } catch (e) { reject(e); }
  });
  console.log(`seamline e2e: ${failures} failure(s)`);
  if (failures > 0) throw new Error(`${failures} extension test(s) failed`);
}

export const run = (): Promise<void> => runTestsIn(__dirname);
