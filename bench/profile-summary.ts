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

/** Self and inclusive microseconds per frame, from the samples and their time deltas. */
function tally(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)),
  );
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    if (IDLE.has(byId.get(id)!.callFrame.functionName)) continue;
    busy += us;
    const seen = new Set<string>(); // a recursive frame counts once per sample
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const name = frameName(byId.get(at)!.callFrame);
      if (!seen.has(name)) inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      seen.add(name);
    }
  }
  return { byId, self, inclusive, busy };
}

const top = (totals: Map<string, number>, busy: number, count: number) =>
  [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${name}`)
    .join('\n');

/** Text summary: busy time, self time by package and function, inclusive time by function. */
export function summarise(profile: CpuProfile): string {
  const { byId, self, inclusive, busy } = tally(profile);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    if (IDLE.has(frame.functionName)) continue;
    byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + us);
    byFunction.set(frameName(frame), (byFunction.get(frameName(frame)) ?? 0) + us);
  }
  return [
    `${(busy / 1e6).toFixed(2)} s of samples in code (not (idle), not (program)); shares below are of that`,
    `self time by package:\n${top(byPackage, busy, 20)}`,
    `self time by function:\n${top(byFunction, busy, 30)}`,
    `inclusive time by function (the frames a create passes through):\n${top(inclusive, busy, 60)}`,
  ].join('\n\n');
}
