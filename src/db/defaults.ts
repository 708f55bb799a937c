/** The embedded default: a SQLite file under data/, created on first start. */
export const DEFAULT_DATABASE_URL = 'file:./data/gateway.db';
