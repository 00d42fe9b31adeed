import {
  condition,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';

import { emailTaskQueue } from '../../src/temporal/task-queues';

export { customerAccountWorkflow, invoiceWorkflow } from '../../workflows';

interface Noops {
  noop(): Promise<void>;
  noopEmail(): Promise<void>;
}
const { noop } = proxyActivities<Noops>({ startToCloseTimeout: '1 minute' });
const { noopEmail } = proxyActivities<Noops>({ taskQueue: emailTaskQueue(workflowInfo().taskQueue), startToCloseTimeout: '1 minute' });

export const baselinePaid = defineSignal('paid');
export const baselineCommand = defineUpdate<number, [number]>('command');
export const baselineDone = defineSignal('done');
const { noop: noopLocally } = proxyLocalActivities<Noops>({ startToCloseTimeout: '1 minute' });

/**
 * The baselines of `bench:commands`: an update handler of the invoice commands' shape (validator,
 * state change, projection, reply) with no business logic: the projection as a local activity, as
 * before the 'money-integrity' patch, or (`regularProjection`) as a regular activity, as since.
 */
export async function baselineCommandWorkflow(o: { regularProjection: boolean }): Promise<void> {
  let applied = 0;
  let done = false;
  setHandler(baselineDone, () => void (done = true));
  setHandler(
    baselineCommand,
    async (amount) => {
      applied += amount;
      await (o.regularProjection ? noop() : noopLocally());
      return applied;
    },
    {
      validator: (amount) => {
        if (amount <= 0) throw new Error('refused');
      },
    },
  );
  await condition(() => done);
}

export interface BaselineShape {
  /** Sleep before each step (ms), like the invoice's timers. */
  readonly timersMs: readonly number[];
  /** Activities on the main queue (render + projections) and on the email queue. */
  readonly mainActivities: number;
  readonly emailActivities: number;
}

/**
 * The benchmark's baseline: the invoice workflow's shape (timers, activity counts on both queues,
 * one signal) with no-op activities and no business logic. Like the invoice workflow, it runs its
 * projection-like activities beside the main path rather than in it.
 */
export async function baselineWorkflow(shape: BaselineShape): Promise<void> {
  let paid = false;
  setHandler(baselinePaid, () => void (paid = true));
  const background: Promise<void>[] = [];
  let projections = shape.mainActivities - 1;
  let emails = shape.emailActivities;
  const project = () => {
    if (projections-- > 0) background.push(noop());
  };
  const email = async () => {
    if (emails-- > 0) await noopEmail();
  };
  await noop(); // render
  project();
  await email(); // issue email
  project();
  for (const ms of shape.timersMs) {
    await sleep(ms);
    project();
    await email();
  }
  await condition(() => paid);
  while (emails > 0) await email();
  while (projections > 0) project();
  await Promise.all(background);
}
