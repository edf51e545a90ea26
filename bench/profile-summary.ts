/** Summaries of a V8 `.cpuprofile` (as `--cpu-prof` writes it) as text: by package, by function, top-down. */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: a package under node_modules, the service, Node itself, or V8's pseudo-frames. */
export function packageOf({ url, functionName }: CallFrame): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1];
  if (url.includes('/dist/src/')) return 'service';
  if (url.startsWith('node:')) return 'node';
  return url ? url : `(${functionName.replace(/[()]/g, '')})`;
}

const frameName = (frame: CallFrame) => {
  const file = frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
};

const IDLE = new Set(['(idle)', '(program)']);

/** A V8 sampling heap profile (`HeapProfiler.stopSampling`): a tree of frames, bytes allocated in each. */
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}
export interface HeapProfile {
  head: HeapNode;
}

/** Per frame: its own weight (µs sampled, or bytes allocated), and the inclusive weight by name. */
function tally(nodes: ProfileNode[], self: Map<number, number>) {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  let total = 0;
  for (const [id, weight] of self) {
    if (IDLE.has(byId.get(id)!.callFrame.functionName)) continue;
    total += weight;
    const seen = new Set<string>(); // a recursive frame counts once per sample
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!.callFrame);
      if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + weight);
      seen.add(name);
    }
  }
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, weight] of self) {
    const frame = byId.get(id)!.callFrame;
    if (IDLE.has(frame.functionName)) continue;
    byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + weight);
    byFunction.set(frameName(frame), (byFunction.get(frameName(frame)) ?? 0) + weight);
  }
  return { byPackage, byFunction, inclusive, total };
}

/** The top `count` entries as shares of `total`, and (with `perRequest`) in the unit it gives. */
const top = (
  totals: Map<string, number>,
  total: number,
  count: number,
  perRequest?: (weight: number) => string,
) =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, weight]) => {
      const share = `${((100 * weight) / total).toFixed(1).padStart(5)}%`;
      return `  ${share}${perRequest ? perRequest(weight).padStart(10) : ''}  ${name}`;
    })
    .join('\n');

/** Text summary: busy time, self time by package and function, inclusive time by function. */
export function summarise(profile: CpuProfile): string {
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const { byPackage, byFunction, inclusive, total } = tally(profile.nodes, self);
  return [
    `${(total / 1e6).toFixed(2)} s of samples in code (not (idle), not (program)); shares below are of that`,
    `self time by package:\n${top(byPackage, total, 20)}`,
    `self time by function:\n${top(byFunction, total, 30)}`,
    `inclusive time by function (the frames a create passes through):\n${top(inclusive, total, 60)}`,
  ].join('\n\n');
}

/**
 * Text summary of what the pass allocated (collected objects included), in bytes per request:
 * by package and function where allocated, and inclusive by function.
 */
export function summariseAllocations(profile: HeapProfile, requests: number): string {
  const nodes: ProfileNode[] = [];
  const self = new Map<number, number>();
  const flatten = (node: HeapNode) => {
    nodes.push({
      id: node.id,
      callFrame: node.callFrame,
      children: node.children.map((c) => c.id),
    });
    self.set(node.id, node.selfSize);
    node.children.forEach(flatten);
  };
  flatten(profile.head);
  const { byPackage, byFunction, inclusive, total } = tally(nodes, self);
  const kb = (bytes: number) => `${(bytes / requests / 1024).toFixed(2)} KiB`;
  return [
    `${kb(total)} allocated per request (sampled); shares below are of that`,
    `allocated by package:\n${top(byPackage, total, 20, kb)}`,
    `allocated by function:\n${top(byFunction, total, 30, kb)}`,
    `allocated beneath each function:\n${top(inclusive, total, 50, kb)}`,
  ].join('\n\n');
}
