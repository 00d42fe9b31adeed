/** Emails run on their own task queue so Temporal can rate-limit them across every worker. */
export const emailTaskQueue = (taskQueue: string) => `${taskQueue}-email`;
