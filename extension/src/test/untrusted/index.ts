// Mocha entry for the Restricted Mode run (scripts/e2e.sh untrusted): the same runner as the main
// suite, over this folder's tests only; the main suite needs a trusted workspace.
import { runTestsIn } from '../suite/index';

export const run = (): Promise<void> => runTestsIn(__dirname);
