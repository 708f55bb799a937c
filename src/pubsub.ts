import { createPubSub } from 'graphql-yoga';
import type { GroupEvent } from './generated/prisma/client.ts';

/**
 * The one typed topic map of the gateway. `groupEvent` carries rows of the durable GroupEvent log, published
 * only after the transaction that wrote them has committed.
 */
export type Topics = { groupEvent: [event: GroupEvent] };

export function createEventBus() {
  return createPubSub<Topics>();
}

export type EventBus = ReturnType<typeof createEventBus>;
