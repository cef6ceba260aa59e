import { createShutdown, loadConfigOrExit, requestShutdownOnSignals } from './infra/lifecycle';
import { installTemporalRuntime } from './infra/temporal-runtime';
import { createLogger } from './logger';
import { startService } from './service';

/** `npm start`: the whole service on this machine, embedded defaults where nothing is configured. */
async function main() {
  const config = loadConfigOrExit();
  const logger = createLogger(config.LOG_LEVEL);
  installTemporalRuntime(logger);
  const shutdown = createShutdown(logger);
  requestShutdownOnSignals(shutdown, logger);
  const started = Date.now();
  try {
    const service = await startService(config, logger, shutdown);
    const temporalUi = service.temporalUiUrl ?? 'none';
    logger.info(
      { api: service.apiUrl, temporalUi, seconds: (Date.now() - started) / 1000 },
      `ready: API ${service.apiUrl}, Temporal UI ${temporalUi}`,
    );
  } catch (error) {
    shutdown.request('startup failed', error);
  }
  await shutdown.requested;
  process.exit(await shutdown.run());
}

void main();
