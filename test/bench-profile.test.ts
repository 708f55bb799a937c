/**
 * The bench's profile summaries (bench/profile.ts): the figures `npm run bench -- --profile` and
 * `--profile-alloc` print, read back from small profiles whose answer is known. The bench's smoke run (CI)
 * checks that a real profile is written and read; this checks the arithmetic: bytes per request, by package,
 * inclusive counting (a package counted once per stack, however often it is on it), the unit's name, and
 * that an empty allocation profile is an error rather than a gateway without garbage.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { summarizeAllocations, summarizeProfile } from '../bench/profile.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, profile: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(profile));
  return file;
}

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

/** An allocation node as V8's sampling heap profiler writes it. */
const alloc = (callFrame: ReturnType<typeof frame>, selfSize: number, children: unknown[] = []) => ({ callFrame, selfSize, children });

/** The line of a section that names `key`, as "<figure> <key>". */
function line(summary: string, section: string, key: string): string {
  const lines = summary.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${section}:`);
  expect(start, `section "${section}" in:\n${summary}`).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('  ') && l.trim().endsWith(':') && !/^\s+[\d.,]/.test(l));
  const found = lines.slice(start + 1, end < 0 ? undefined : end).find((l) => l.trim().endsWith(key));
  expect(found, `"${key}" under "${section}" in:\n${summary}`).toBeDefined();
  return found!.trim().replace(/\s+/g, ' ');
}

describe('summarizeAllocations', () => {
  // pkg-a (100 B) calls pkg-b (300 B), which calls back into pkg-a (600 B): 1,000 B in all.
  const file = write('a.heapprofile', {
    head: alloc(frame('(root)', ''), 0, [
      alloc(frame('outer', 'file:///srv/node_modules/pkg-a/x.js', 9), 100, [
        alloc(frame('middle', 'file:///srv/node_modules/@scope/pkg-b/y.js'), 300, [
          alloc(frame('inner', 'file:///srv/node_modules/pkg-a/z.js'), 600),
        ]),
      ]),
    ]),
  });

  it('divides the bytes by the requests, by package and by function', () => {
    const summary = summarizeAllocations(file, 10);
    expect(summary.split('\n')[0]).toContain('100 bytes per request (10 requests');
    expect(line(summary, 'by package', 'pkg-a')).toBe('70 B pkg-a');
    expect(line(summary, 'by package', '@scope/pkg-b')).toBe('30 B @scope/pkg-b');
    expect(line(summary, 'by function (self)', 'pkg-a/x.js:10')).toBe('10 B outer pkg-a/x.js:10');
  });

  it('counts a package once per stack in the inclusive figures', () => {
    const summary = summarizeAllocations(file, 10);
    const section = 'by package, inclusive (bytes allocated with the package on the stack)';
    // pkg-a is on every stack (twice on the innermost): 1,000 B, not 1,600.
    expect(line(summary, section, 'pkg-a')).toBe('100 B pkg-a');
    expect(line(summary, section, '@scope/pkg-b')).toBe('90 B @scope/pkg-b');
  });

  it('names the unit it divides by', () => {
    expect(summarizeAllocations(file, 4, 25, 'delivery').split('\n')[0]).toContain('250 bytes per delivery (4 deliveries');
  });

  it('refuses an empty profile of a phase that saw requests', () => {
    const empty = write('empty.heapprofile', { head: alloc(frame('(root)', ''), 0, [alloc(frame('f', 'node:http'), 0)]) });
    expect(() => summarizeAllocations(empty, 5)).toThrow(/is empty/);
    expect(summarizeAllocations(empty, 0).split('\n')[0]).toContain('0 bytes per request');
  });
});

describe('summarizeProfile', () => {
  it('shares the sampled time by package, self and inclusive', () => {
    // Node 2 (pkg-a) calls node 3 (project code); 3 ms sampled in node 3, 1 ms in node 2.
    const file = write('c.cpuprofile', {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2] },
        { id: 2, callFrame: frame('run', 'file:///srv/node_modules/pkg-a/x.js'), children: [3] },
        { id: 3, callFrame: frame('resolve', 'file:///srv/app/src/schema/groups.ts') },
      ],
      samples: [3, 3, 2, 3],
      timeDeltas: [1000, 1000, 1000, 1000],
    });
    const summary = summarizeProfile(file);
    expect(summary.split('\n')[0]).toContain('(0.0 s sampled)');
    expect(line(summary, 'by package', 'src/schema')).toBe('75.0% src/schema');
    expect(line(summary, 'by package', 'pkg-a')).toBe('25.0% pkg-a');
    expect(line(summary, 'by package, inclusive (time with the package on the stack)', 'pkg-a')).toBe('100.0% pkg-a');
  });
});
