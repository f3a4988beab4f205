/**
 * The singletons only the writes queue's function needs (the SQS client of its dead-letter queue),
 * apart from container.ts so that no other bundle carries the SQS SDK.
 */
import type { DeadLetters } from '../queue/run';
import { sqsDeadLetters } from '../store/sqs';
import { requireEnv } from './config';
import { getConfig, once } from './container';

/** The writes queue's dead-letter queue (deployed stages: DEAD_LETTER_QUEUE_URL, from serverless.yml). */
export const getDeadLetters = once<DeadLetters>(() =>
  sqsDeadLetters(requireEnv(process.env, 'DEAD_LETTER_QUEUE_URL'), { region: getConfig().region }),
);
