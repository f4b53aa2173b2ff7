// Shapes of the custom notifications and command results in the editor contract
// (/tmp/seamline_lsp_contract.md -> docs). Kept loose where the server may add fields.

export interface PortMapping { container: number; host: number | null }

export interface ServiceStatus {
  name: string;
  kind: string;
  state: string;            // running | exited | created | restarting | absent ...
  health: string | null;    // healthy | unhealthy | starting | none
  ports: PortMapping[];
  uptime_s: number | null;
}

export interface EnvStatus {
  engine: boolean;
  project: string | null;
  trusted: boolean;
  services: ServiceStatus[];
  message: string | null;
}

export type TestStatus = 'untested' | 'passed' | 'failed' | 'stale' | 'tested' | string;

export interface EndpointInfo {
  key: string;              // "POST /api/v1/items/"
  method: string;
  path: string;
  handler: string;          // dotted
  file: string;             // uri
  line: number;             // 1-based, as in the scan JSON
  app: string;
  framework: string;
  testStatus: TestStatus;
}

export interface ModelService { kind: string; app: string; settings: string[] }

export interface ProjectModel { endpoints: EndpointInfo[]; services: ModelService[] }

export interface TestResult {
  endpoint: string;
  test: string;
  outcome: 'passed' | 'failed' | 'error' | 'skipped';
  file: string;
  line: number;
  message: string | null;
}

export interface TestResults { results: TestResult[]; finished_at: string }

export const ENV_STATUS = 'seamline/envStatus';
export const TEST_RESULTS = 'seamline/testResults';
export const PROJECT_MODEL = 'seamline/projectModel';
export const TRUST_CHANGED = 'seamline/trustChanged';

/** Server commands (workspace/executeCommand). */
export const Cmd = {
  listEndpoints: 'seamline.listEndpoints',
  generateTestsForEndpoint: 'seamline.generateTestsForEndpoint',
  generateTestsForFile: 'seamline.generateTestsForFile',
  generateTestsForProject: 'seamline.generateTestsForProject',
  createComposeEnv: 'seamline.createComposeEnv',
  envUp: 'seamline.envUp',
  envDown: 'seamline.envDown',
  envStatus: 'seamline.envStatus',
  envLogs: 'seamline.envLogs',
  runTests: 'seamline.runTests',
  showModel: 'seamline.showModel',
} as const;

/** Commands that start containers or run the user's code: refused in an untrusted workspace. */
export const TRUSTED_ONLY: ReadonlySet<string> = new Set([
  Cmd.envUp, Cmd.envDown, Cmd.envLogs, Cmd.runTests,
]);
