// The Test Environment tree: a view over the latest server-pushed snapshots (seamline/envStatus,
// seamline/projectModel, seamline/testResults). The tree is rebuilt in memory when a snapshot
// arrives; getChildren/getTreeItem only read it (no I/O, no popups), so the view stays instant.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EndpointInfo, EnvStatus, ProjectModel, ServiceStatus, TestResults } from './protocol';

export type NodeKind = 'notice' | 'group' | 'service' | 'app' | 'router' | 'endpoint';

export interface PanelService {
  name: string;
  kind: string;
  state: string;            // running | exited | absent ...
  health: string | null;
  ports: { container: number; host: number | null }[];
  uptimeS: number | null;
  inEnvironment: boolean;
}

export interface Node {
  id: string;
  kind: NodeKind;
  label: string;
  parent?: Node;
  children?: Node[];
  service?: PanelService;
  endpoint?: EndpointInfo & { status: string; lastMessage?: string | null };
  notice?: { icon: string; tooltip: string; command?: vscode.Command };
}

export function formatUptime(seconds: number | null | undefined): string | undefined {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return undefined;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Endpoint lines from the server are 1-based, as in the scan JSON; VS Code's are 0-based. */
function endpointRange(ep: EndpointInfo): vscode.Range {
  const line = Math.max(0, (Number(ep.line) || 1) - 1);
  return new vscode.Range(line, 0, line, 0);
}

function toUri(file: string): vscode.Uri {
  return /^[a-z][a-z0-9+.-]*:/i.test(file) ? vscode.Uri.parse(file) : vscode.Uri.file(file);
}

function countEndpoints(n: Node): number {
  return n.kind === 'endpoint' ? 1 : (n.children ?? []).reduce((sum, c) => sum + countEndpoints(c), 0);
}

const STATUS_TEXT: Record<string, string> = {
  untested: 'untested', passed: 'passing', failed: 'failing', stale: 'stale', tested: 'has tests',
};

export class TestEnvironmentPanel implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<Node | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;

  private env: EnvStatus | undefined;
  private model: ProjectModel | undefined;
  private results = new Map<string, { outcome: string; message: string | null }>();
  private trusted = true;
  private serverProblem: string | undefined;
  private roots: Node[] = [];
  private readonly byId = new Map<string, Node>();

  constructor(private readonly workspaceRoot: () => string | undefined) {}

  // --- snapshots in ---------------------------------------------------------------------------
  setEnvStatus(env: EnvStatus): void { this.env = env; this.rebuild(); }
  setProjectModel(model: ProjectModel): void { this.model = model; this.rebuild(); }
  setTestResults(r: TestResults): void {
    const rank = (o: string) => ({ error: 3, failed: 3, passed: 1, skipped: 0 } as Record<string, number>)[o] ?? 0;
    const next = new Map<string, { outcome: string; message: string | null }>();
    for (const x of r.results ?? []) {
      const prev = next.get(x.endpoint);
      if (!prev || rank(x.outcome) > rank(prev.outcome)) next.set(x.endpoint, { outcome: x.outcome, message: x.message });
    }
    this.results = next;
    this.rebuild();
  }
  setTrusted(trusted: boolean): void { this.trusted = trusted; this.rebuild(); }
  setServerProblem(problem: string | undefined): void { this.serverProblem = problem; this.rebuild(); }
  /** Forget the server's snapshots (on restart), keep trust and problems. */
  clear(): void { this.env = undefined; this.model = undefined; this.results.clear(); this.rebuild(); }
  refresh(): void { this.emitter.fire(); }

  get snapshot(): { env?: EnvStatus; model?: ProjectModel } { return { env: this.env, model: this.model }; }

  // --- TreeDataProvider -----------------------------------------------------------------------
  getChildren(element?: Node): Node[] { return element ? element.children ?? [] : this.roots; }
  getParent(element: Node): Node | undefined { return element.parent; }
  getNode(id: string): Node | undefined { return this.byId.get(id); }

  getTreeItem(n: Node): vscode.TreeItem {
    const collapsible = n.children?.length
      ? (n.kind === 'router' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded)
      : vscode.TreeItemCollapsibleState.None;
    const item = new vscode.TreeItem(n.label, collapsible);
    item.id = n.id;
    switch (n.kind) {
      case 'notice':
        item.iconPath = new vscode.ThemeIcon(n.notice!.icon);
        item.tooltip = n.notice!.tooltip;
        item.command = n.notice!.command;
        item.contextValue = 'notice';
        break;
      case 'group':
        item.iconPath = new vscode.ThemeIcon(n.id === 'group:services' ? 'server-environment' : 'symbol-interface');
        item.description = `${n.id === 'group:endpoints' ? countEndpoints(n) : n.children?.length ?? 0}`;
        item.contextValue = n.id;
        break;
      case 'service': this.serviceItem(item, n.service!); break;
      case 'app':
        item.iconPath = new vscode.ThemeIcon('package');
        item.contextValue = 'app';
        break;
      case 'router': {
        const eps = (n.children ?? []).map((c) => c.endpoint!);
        const failing = eps.filter((e) => e.status === 'failed').length;
        const untested = eps.filter((e) => e.status === 'untested').length;
        item.iconPath = new vscode.ThemeIcon('file-code');
        item.description = [`${eps.length} endpoint${eps.length === 1 ? '' : 's'}`, failing ? `${failing} failing` : '', untested ? `${untested} untested` : ''].filter(Boolean).join(' · ');
        item.contextValue = 'router';
        break;
      }
      case 'endpoint': this.endpointItem(item, n.endpoint!); break;
    }
    return item;
  }

  private serviceItem(item: vscode.TreeItem, s: PanelService): void {
    const running = s.state === 'running';
    const ports = s.ports.filter((p) => p.host).map((p) => `${p.host}→${p.container}`).join(', ');
    const up = running ? formatUptime(s.uptimeS) : undefined;
    const state = !s.inEnvironment ? 'not in environment' : running ? (s.health && s.health !== 'none' ? s.health : 'running') : s.state;
    item.description = [s.kind !== s.name ? s.kind : '', state, ports, up ? `up ${up}` : ''].filter(Boolean).join(' · ');
    const [icon, color] =
      !s.inEnvironment ? ['circle-outline', 'disabledForeground']
        : !running ? ['debug-stop', 'disabledForeground']
          : s.health === 'unhealthy' ? ['error', 'testing.iconFailed']
            : s.health === 'starting' ? ['sync~spin', 'charts.yellow']
              : ['pass-filled', 'testing.iconPassed'];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    const md = new vscode.MarkdownString(`**${s.name}** (${s.kind})\n\nstate: ${s.state}${s.health ? `, health: ${s.health}` : ''}`);
    if (ports) md.appendMarkdown(`\n\nports (host→container): ${ports}`);
    if (up) md.appendMarkdown(`\n\nup ${up}`);
    item.tooltip = md;
    item.contextValue = `service.${!s.inEnvironment ? 'absent' : running ? 'running' : 'stopped'}`;
  }

  private endpointItem(item: vscode.TreeItem, e: NonNullable<Node['endpoint']>): void {
    const [icon, color] = ({
      passed: ['pass', 'testing.iconPassed'], failed: ['error', 'testing.iconFailed'], stale: ['warning', 'list.warningForeground'],
      tested: ['beaker', 'foreground'], untested: ['circle-large-outline', 'disabledForeground'],
    } as Record<string, [string, string]>)[e.status] ?? ['circle-large-outline', 'disabledForeground'];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.description = `${e.handler.split('.').pop()} · ${STATUS_TEXT[e.status] ?? e.status}`;
    const md = new vscode.MarkdownString(`**${e.key}** — \`${e.handler}\`\n\n${e.framework}, ${STATUS_TEXT[e.status] ?? e.status}`);
    if (e.lastMessage) md.appendMarkdown(`\n\nlast failure: ${e.lastMessage}`);
    item.tooltip = md;
    item.contextValue = `endpoint.${e.status}`;
    item.resourceUri = undefined;
    item.command = { title: 'Open handler', command: 'vscode.open', arguments: [toUri(e.file), { selection: endpointRange(e), preview: true }] };
  }

  // --- building the tree from snapshots --------------------------------------------------------
  private rebuild(): void {
    this.byId.clear();
    const roots: Node[] = [];
    const add = (n: Node, parent?: Node): Node => {
      n.parent = parent;
      this.byId.set(n.id, n);
      if (parent) (parent.children ??= []).push(n); else roots.push(n);
      return n;
    };

    if (!this.trusted) {
      add({ id: 'notice:untrusted', kind: 'notice', label: 'Analysis only: this workspace is untrusted', notice: {
        icon: 'shield',
        tooltip: 'Seamline analyses the code but starts no containers, runs no tests and makes no LLM calls until you trust the workspace.',
        command: { title: 'Manage Workspace Trust', command: 'workbench.trust.manage' },
      } });
    }
    if (this.serverProblem) {
      add({ id: 'notice:server', kind: 'notice', label: `Server not running: ${this.serverProblem}`, notice: {
        icon: 'error', tooltip: this.serverProblem, command: { title: 'Show Server Log', command: 'seamline.showServerLog' },
      } });
    }
    if (this.env?.message && this.trusted) {
      add({ id: 'notice:env', kind: 'notice', label: this.env.message, notice: { icon: this.env.engine ? 'info' : 'circle-slash', tooltip: this.env.message } });
    }

    const services = this.mergedServices();
    if (services.length || this.env || this.model) {
      const group = add({ id: 'group:services', kind: 'group', label: 'Services' });
      group.children = [];
      for (const s of services) add({ id: `service:${s.name}`, kind: 'service', label: s.name, service: s }, group);
    }

    if (this.model) {
      const group = add({ id: 'group:endpoints', kind: 'group', label: 'Endpoints' });
      group.children = [];
      const eps = [...this.model.endpoints].sort((a, b) => (a.app || '').localeCompare(b.app || '') || a.file.localeCompare(b.file) || (a.line - b.line));
      const apps = new Set(eps.map((e) => e.app || ''));
      const appNodes = new Map<string, Node>();
      const routerNodes = new Map<string, Node>();
      for (const ep of eps) {
        const app = ep.app || '';
        let parent = group;
        if (apps.size > 1) {
          parent = appNodes.get(app) ?? add({ id: `app:${app}`, kind: 'app', label: app || '(workspace root)' }, group);
          appNodes.set(app, parent);
        }
        const rkey = `${app}|${ep.file}`;
        let router = routerNodes.get(rkey);
        if (!router) {
          router = add({ id: `router:${rkey}`, kind: 'router', label: this.relative(ep.file) }, parent);
          routerNodes.set(rkey, router);
        }
        const res = this.results.get(ep.key);
        const status = res ? (res.outcome === 'passed' ? 'passed' : res.outcome === 'skipped' ? ep.testStatus : 'failed') : ep.testStatus || 'untested';
        add({ id: `endpoint:${app}|${ep.key}|${ep.handler}`, kind: 'endpoint', label: ep.key, endpoint: { ...ep, status, lastMessage: res?.message } }, router);
      }
    }
    this.roots = roots;
    this.emitter.fire();
  }

  private mergedServices(): PanelService[] {
    const out: PanelService[] = [];
    const seenKinds = new Set<string>();
    for (const s of (this.env?.services ?? []) as ServiceStatus[]) {
      out.push({ name: s.name, kind: s.kind || s.name, state: s.state, health: s.health, ports: s.ports ?? [], uptimeS: s.uptime_s, inEnvironment: s.state !== 'absent' });
      seenKinds.add(s.kind || s.name);
    }
    for (const m of this.model?.services ?? []) {
      if (seenKinds.has(m.kind)) continue;
      seenKinds.add(m.kind);
      out.push({ name: m.kind, kind: m.kind, state: 'absent', health: null, ports: [], uptimeS: null, inEnvironment: false });
    }
    return out;
  }

  private relative(file: string): string {
    const fsPath = toUri(file).fsPath;
    const root = this.workspaceRoot();
    return root && fsPath.startsWith(root + path.sep) ? path.relative(root, fsPath) : path.basename(fsPath);
  }

  dispose(): void { this.emitter.dispose(); }
}
