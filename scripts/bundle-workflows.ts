import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { prebuiltBundlePath, workflowInterceptorModules, workflowsPath } from '../src/temporal/worker';

// Part of `npm run build`: bundles the workflows once, so a worker loads the bundle instead of running
// webpack in its own process at every start (seconds of start-up and memory the worker then keeps).
async function main() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    workflowInterceptorModules: workflowInterceptorModules(),
    logger: { log() {}, info() {}, warn: console.warn, error: console.error, debug() {}, trace() {} } as never,
  });
  await writeFile(prebuiltBundlePath(), code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
