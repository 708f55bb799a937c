import { availableParallelism } from 'node:os';

/** The embedded default: a SQLite file under data/, created on first start. */
export const DEFAULT_DATABASE_URL = 'file:./data/gateway.db';

/**
 * PostgreSQL connections per gateway process when DATABASE_POOL_SIZE is unset: twice the cores plus one,
 * Prisma's own default (and the PostgreSQL wiki's starting point for a pool). More connections than that
 * only queue in the kernel's scheduler instead of the pool's: on 2 cores, a pool of 10 against one of 5
 * gave the same throughput and a longer tail (the write mix's p99/p50 2.4-2.5x against 1.8-2.0x;
 * bench/README.md, round 10).
 */
export const DEFAULT_POOL_SIZE = availableParallelism() * 2 + 1;
