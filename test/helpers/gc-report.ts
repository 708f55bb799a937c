/**
 * Preloaded into a gateway process by test/young-garbage.test.ts (`node --import tsx --import <this>`): on
 * SIGUSR2 it starts recording the process's garbage collections (node:v8's GCProfiler), on the next SIGUSR2
 * it stops and prints one line, `gc-report: {…}`, with what the young-generation collections kept.
 */
import v8 from 'node:v8';

interface SpaceStats {
  spaceName: string;
  spaceUsedSize: number;
}
interface GcEntry {
  gcType: string;
  beforeGC: { heapSpaceStatistics: SpaceStats[] };
  afterGC: { heapSpaceStatistics: SpaceStats[] };
}

const used = (spaces: SpaceStats[], name: string) => spaces.find((space) => space.spaceName === name)?.spaceUsedSize ?? 0;

let profiler: v8.GCProfiler | null = null;

process.on('SIGUSR2', () => {
  if (!profiler) {
    profiler = new v8.GCProfiler();
    profiler.start();
    console.log('gc-report: started');
    return;
  }
  const { statistics } = profiler.stop() as unknown as { statistics: GcEntry[] };
  profiler = null;
  const scavenges = statistics.filter((entry) => entry.gcType === 'Scavenge');
  // Survived: the young generation in use right after a scavenge. Promoted: what the old generation
  // gained during one (a scavenge only ever adds to it).
  const survived = scavenges.map((entry) => used(entry.afterGC.heapSpaceStatistics, 'new_space'));
  const promoted = scavenges.map(
    (entry) => used(entry.afterGC.heapSpaceStatistics, 'old_space') - used(entry.beforeGC.heapSpaceStatistics, 'old_space'),
  );
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  console.log(
    `gc-report: ${JSON.stringify({
      scavenges: scavenges.length,
      survivedBytes: sum(survived),
      promotedBytes: sum(promoted),
      markCompacts: statistics.filter((entry) => entry.gcType === 'MarkSweepCompact').length,
    })}`,
  );
});
