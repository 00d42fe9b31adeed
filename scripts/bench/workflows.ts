import { condition, defineSignal, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';

import { emailTaskQueue } from '../../src/temporal/task-queues';

export { invoiceWorkflow } from '../../workflows';

interface Noops {
  noop(): Promise<void>;
  noopEmail(): Promise<void>;
}
const { noop } = proxyActivities<Noops>({ startToCloseTimeout: '1 minute' });
const { noopEmail } = proxyActivities<Noops>({ taskQueue: emailTaskQueue(workflowInfo().taskQueue), startToCloseTimeout: '1 minute' });

export const baselinePaid = defineSignal('paid');

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
