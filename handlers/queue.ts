/**
 * The writes queue (SQS FIFO): each message is one create, write or unlink, run by the object
 * routes as the user it names (lib/queue): partial batch failures, groups kept in order, permanent
 * failures to the dead-letter queue with their reason.
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { getUser } from '../lib/auth/users';
import { routeObjectRequest } from '../lib/object-api/router';
import { runQueueBatch } from '../lib/queue/batch';
import { userGroupsFrom, type QueueDeps } from '../lib/queue/run';
import { getAuthStore, getConfig, getLogger, getObjectDeps } from '../lib/runtime/container';
import { getDeadLetters } from '../lib/runtime/container-queue';

const config = getConfig();
const objectDeps = getObjectDeps();
const deps: QueueDeps = {
  route: (request) => routeObjectRequest(objectDeps, request),
  userGroups: userGroupsFrom((userId) => getUser(getAuthStore(), userId)),
  allowedUsers: config.queueUsers,
  clientId: 'queue',
};
const deadLetters = getDeadLetters();
const log = getLogger();

export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  log.startInvocation(context);
  const { batchItemFailures } = await runQueueBatch(deps, deadLetters, log, event.Records);
  return { batchItemFailures: [...batchItemFailures] };
};
