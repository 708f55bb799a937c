/**
 * The groups report (the analytics use case of the Wix Groups docs): how many groups there are, the most
 * popular by member count, and the idlest by most recent activity. It asks the public GraphQL API as a
 * Groups Manager (so secret groups count too), with a short-lived token signed by the gateway's secret.
 *
 *   npm run report -- [--url http://localhost:4000/graphql] [--top 5] [--json]
 *
 * The secret is the gateway's own configuration (JWT_SECRET, or the development secret), read as
 * `npm run token` reads it; `--token <jwt>` uses a token from elsewhere instead.
 */
import { parseArgs } from 'node:util';
import { secretKey, signToken } from '../src/auth/viewer.ts';
import { configOrExit } from '../src/config.ts';

const USAGE = 'Usage: npm run report -- [--url <graphql endpoint>] [--top <1-100>] [--json] [--token <jwt>]';

interface ReportGroup {
  id: string;
  name: string;
  slug: string;
  privacy: 'PUBLIC' | 'PRIVATE' | 'SECRET';
  membersCount: number;
  recentActivityAt: string;
  createdAt: string;
}

interface Report {
  generatedAt: string;
  gateway: string;
  totalGroups: number;
  byPrivacy: Record<ReportGroup['privacy'], number>;
  mostPopular: ReportGroup[];
  idlest: ReportGroup[];
}

// One request: the totals, then two sorted pages (`first` as a variable, so its cost is the page's).
const REPORT_QUERY = /* GraphQL */ `
  query GroupsReport($top: Int!) {
    all: groups(first: 1) { totalCount }
    public: groups(first: 1, filter: { privacy: [PUBLIC] }) { totalCount }
    private: groups(first: 1, filter: { privacy: [PRIVATE] }) { totalCount }
    secret: groups(first: 1, filter: { privacy: [SECRET] }) { totalCount }
    mostPopular: groups(first: $top, sort: [{ field: MEMBERS_COUNT, order: DESC }]) { edges { node { ...ReportGroup } } }
    idlest: groups(first: $top, sort: [{ field: RECENT_ACTIVITY, order: ASC }]) { edges { node { ...ReportGroup } } }
  }
  fragment ReportGroup on Group { id name slug privacy membersCount recentActivityAt createdAt }
`;

type Page = { edges: { node: ReportGroup }[] };
interface ReportData {
  all: { totalCount: number };
  public: { totalCount: number };
  private: { totalCount: number };
  secret: { totalCount: number };
  mostPopular: Page;
  idlest: Page;
}

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        url: { type: 'string', default: 'http://localhost:4000/graphql' },
        top: { type: 'string', default: '5' },
        json: { type: 'boolean', default: false },
        token: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
    if (values.help) fail(USAGE, 0);
    const top = Number(values.top);
    if (!Number.isInteger(top) || top < 1 || top > 100) fail(`--top must be a whole number from 1 to 100.\n${USAGE}`, 2);
    if (!/^https?:\/\//.test(values.url)) fail(`--url must be an http(s) URL of the GraphQL endpoint.\n${USAGE}`, 2);
    return { url: values.url, top, json: values.json, token: values.token };
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`, 2);
  }
}

/** A Groups Manager's token for this run only, signed as the gateway verifies it. */
async function managerToken(): Promise<string> {
  const { jwtSecret, tokens } = configOrExit();
  if (tokens.jwksUrl || tokens.publicKeyPem) {
    fail(`This gateway takes tokens from your identity provider: pass a Groups Manager's token with --token.\n${USAGE}`, 2);
  }
  return signToken(secretKey(jwtSecret), {
    sub: 'groups-report',
    manager: true,
    expiresIn: '5m',
    ...(tokens.issuer ? { issuer: tokens.issuer } : {}),
    ...(tokens.audience ? { audience: tokens.audience } : {}),
    rolesClaim: tokens.rolesClaim,
  });
}

async function fetchReport(url: string, token: string, top: number): Promise<ReportData> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: REPORT_QUERY, variables: { top } }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    fail(`Cannot reach the gateway at ${url}: ${cause?.message ?? (error as Error).message}`);
  }
  const body = (await response.json().catch(() => null)) as { data?: ReportData; errors?: { message: string }[] } | null;
  if (!body) fail(`The gateway at ${url} did not answer GraphQL (HTTP ${response.status}).`);
  if (body.errors?.length || !body.data) {
    fail(`The gateway refused the report (HTTP ${response.status}): ${(body.errors ?? []).map((e) => e.message).join(' ')}`);
  }
  return body.data;
}

function toReport(data: ReportData, gateway: string): Report {
  return {
    generatedAt: new Date().toISOString(),
    gateway,
    totalGroups: data.all.totalCount,
    byPrivacy: { PUBLIC: data.public.totalCount, PRIVATE: data.private.totalCount, SECRET: data.secret.totalCount },
    mostPopular: data.mostPopular.edges.map((edge) => edge.node),
    idlest: data.idlest.edges.map((edge) => edge.node),
  };
}

/** "2026-01-05 14:03 (3 days ago)" */
function when(iso: string, now: number): string {
  const date = new Date(iso);
  const minutes = Math.max(0, Math.round((now - date.getTime()) / 60_000));
  const ago =
    minutes < 1 ? 'just now' : minutes < 60 ? `${minutes} min ago` : minutes < 48 * 60 ? `${Math.round(minutes / 60)} h ago` : `${Math.round(minutes / 1440)} days ago`;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} (${ago})`;
}

function table(headers: string[], rows: string[][], rightAligned: Set<number>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) =>
    '  ' + cells.map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column]))).join('  ').trimEnd();
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function groupsTable(groups: ReportGroup[], now: number): string {
  if (groups.length === 0) return '  (no groups)';
  const rows = groups.map((group, index) => [
    String(index + 1),
    group.name,
    group.privacy.toLowerCase(),
    String(group.membersCount),
    when(group.recentActivityAt, now),
  ]);
  return table(['#', 'Group', 'Privacy', 'Members', 'Last activity (UTC)'], rows, new Set([0, 3]));
}

function printReport(report: Report) {
  const now = Date.parse(report.generatedAt);
  const { PUBLIC, PRIVATE, SECRET } = report.byPrivacy;
  console.log(`Groups report, ${report.generatedAt.slice(0, 16).replace('T', ' ')} UTC, from ${report.gateway}`);
  console.log('');
  console.log(`Total groups: ${report.totalGroups} (${PUBLIC} public, ${PRIVATE} private, ${SECRET} secret)`);
  console.log('');
  console.log(`Most popular (by members, top ${report.mostPopular.length})`);
  console.log(groupsTable(report.mostPopular, now));
  console.log('');
  console.log(`Idlest (least recent activity first, top ${report.idlest.length})`);
  console.log(groupsTable(report.idlest, now));
}

const options = parseOptions();
const token = options.token ?? (await managerToken());
const report = toReport(await fetchReport(options.url, token, options.top), options.url);
if (options.json) console.log(JSON.stringify(report, null, 2));
else printReport(report);
