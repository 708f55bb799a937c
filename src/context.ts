import type { YogaInitialContext } from 'graphql-yoga';
import type { Db } from './db/client.ts';
import type { Config } from './config.ts';
import type { EventBus } from './pubsub.ts';
import type { Audience } from './live/audience.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { viewerFromAuthorization, type Viewer } from './auth/viewer.ts';

/** What lives for the whole process and is shared by every request. */
export interface AppServices {
  db: Db;
  config: Config;
  events: EventBus;
  /** Decides live-event delivery with fresh, per-event batched lookups. */
  audience: Audience;
  jwtKey: Uint8Array;
}

/** What every resolver and rule receives: the viewer (token parsed once), fresh loaders, the services. */
export interface Context extends AppServices {
  viewer: Viewer;
  loaders: Loaders;
}

/** Builds the context of one HTTP request, or of one subscription connection. */
export async function createContext(services: AppServices, initial: YogaInitialContext & { connectionParams?: Record<string, unknown> }): Promise<Context> {
  const fromConnection = initial.connectionParams?.authorization;
  const header =
    typeof fromConnection === 'string' ? fromConnection : initial.request?.headers.get('authorization');
  const viewer = await viewerFromAuthorization(header, services.jwtKey);
  return { ...services, viewer, loaders: createLoaders(services.db, viewer) };
}
