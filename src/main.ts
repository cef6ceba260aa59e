import { runProcess } from './infra/entry-point';
import { startService } from './service';

/** `npm start`: the whole service on this machine, embedded defaults where nothing is configured. */
void runProcess(async ({ config, logger, shutdown }) => {
  const started = Date.now();
  const service = await startService(config, logger, shutdown);
  const temporalUi = service.temporalUiUrl ?? 'none';
  logger.info(
    { api: service.apiUrl, temporalUi, seconds: (Date.now() - started) / 1000 },
    `ready: API ${service.apiUrl}, Temporal UI ${temporalUi}`,
  );
});
