/**
 * Reads a V8 CPU profile (node --cpu-prof) and lists where the time went, or an allocation profile (the
 * sampling heap profiler's) and lists where the bytes were allocated: by function, and by package.
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package (or project folder) a script belongs to. */
function owner(url: string): string {
  if (!url) return '(native)';
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) {
    const rest = url.slice(inModules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node';
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/')[0]}`;
  return url.split('/').slice(-2).join('/');
}

type CallFrame = { functionName: string; url: string; lineNumber: number };

/** A function as listed: its name and where it is, the path cut to the package or the project. */
function frameName({ functionName, url, lineNumber }: CallFrame): string {
  return `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/main\//, '')}:${lineNumber + 1}` : ''}`;
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id)!;
    const key = frameName(callFrame);
    byFunction.set(key, (byFunction.get(key) ?? 0) + micros);
    const o = owner(callFrame.url);
    byOwner.set(o, (byOwner.get(o) ?? 0) + micros);
  }
  // Inclusive: each sample counts once for every package on its stack.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inclusive = new Map<string, number>();
  for (const [id, micros] of self) {
    const owners = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const url = byId.get(at)!.callFrame.url;
      if (url) owners.add(owner(url));
    }
    for (const o of owners) inclusive.set(o, (inclusive.get(o) ?? 0) + micros);
  }
  const pct = (v: number) => `${((v / total) * 100).toFixed(1).padStart(5)}%`;
  return report(`profile ${file} (${(total / 1e6).toFixed(1)} s sampled)`, [
    ['by package', byOwner, 15],
    ['by package, inclusive (time with the package on the stack)', inclusive, 15],
    ['by function (self time)', byFunction, top],
  ], pct);
}

/** A profile's summary: a heading, then each section's largest entries, formatted by `format`. */
function report(heading: string, sections: [string, Map<string, number>, number][], format: (value: number) => string): string {
  const lines = [heading];
  for (const [title, values, count] of sections) {
    lines.push(`  ${title}:`);
    for (const [key, value] of [...values].sort((a, b) => b[1] - a[1]).slice(0, count)) lines.push(`  ${format(value)}  ${key}`);
  }
  return lines.join('\n');
}

interface AllocationNode {
  callFrame: CallFrame;
  selfSize: number;
  children: AllocationNode[];
}

/**
 * Bytes allocated per request (per `unit`: a delivery for the live fan-out) in an allocation profile of a
 * measured phase (`--profile-alloc`), where it was allocated (by function, by package) and with which
 * packages on the stack. The profile counts what collections freed as well (bench/child.ts), so this is
 * the garbage a request makes: a young collection comes once per semi-space's worth of it (bench/README.md,
 * round 20).
 */
export function summarizeAllocations(file: string, requests: number, top = 25, unit = 'request'): string {
  const { head } = JSON.parse(fs.readFileSync(file, 'utf8')) as { head: AllocationNode };
  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);
  // Iterative: a deep stack of async frames must not overflow the summarizer's own.
  const stack: { node: AllocationNode; owners: Set<string> }[] = [{ node: head, owners: new Set() }];
  while (stack.length) {
    const { node, owners: above } = stack.pop()!;
    const { url } = node.callFrame;
    const owners = url ? new Set(above).add(owner(url)) : above;
    if (node.selfSize > 0) {
      total += node.selfSize;
      add(byFunction, frameName(node.callFrame), node.selfSize);
      add(byOwner, owner(url), node.selfSize);
      for (const o of owners) add(inclusive, o, node.selfSize);
    }
    for (const child of node.children) stack.push({ node: child, owners });
  }
  // A profile that saw requests but no allocation is a broken profile, not a server without garbage.
  if (requests > 0 && total === 0) throw new Error(`the allocation profile ${file} is empty`);
  const per = Math.max(1, requests);
  const bytes = (v: number) => `${Math.round(v / per).toLocaleString('en-US').padStart(7)} B`;
  const heading = `allocations ${file}: ${Math.round(total / per).toLocaleString('en-US')} bytes per ${unit} (${requests.toLocaleString('en-US')} ${unit === 'delivery' ? 'deliveries' : `${unit}s`}, ${(total / 2 ** 20).toFixed(0)} MiB)`;
  return report(heading, [
    ['by package', byOwner, 15],
    ['by package, inclusive (bytes allocated with the package on the stack)', inclusive, 15],
    ['by function (self)', byFunction, top],
  ], bytes);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  for (const file of process.argv.slice(2)) console.log(summarizeProfile(file, 40));
}
