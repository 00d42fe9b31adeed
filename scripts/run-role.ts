import { ConfigError, loadConfig } from '../src/config';
import { createLogger } from '../src/log';
import { startEngine, type Engine, type EngineOptions } from '../src/runtime';

/** Starts the engine with the given roles, stops it cleanly on SIGINT/SIGTERM. */
export async function runRole(roles: Omit<EngineOptions, 'config' | 'log'>, banner?: (engine: Engine) => void): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let engine: Engine;
  try {
    engine = await startEngine({ config, log, ...roles });
  } catch (err) {
    log.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
  banner?.(engine);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await engine.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}
