/** The long-running commands' (serve, controller, proxy) answer to SIGTERM and SIGINT. */
import { errorFields, type Logger } from '../log.js';
import { EXIT_FAILURE, EXIT_OK } from './args.js';

/**
 * Resolves with the exit code once the first SIGTERM/SIGINT has run `stop`: EXIT_OK, or
 * EXIT_FAILURE (logged) if `stop` rejects. A second signal exits at once with EXIT_FAILURE.
 * Once resolved, the process exits after 1 s even if some handle outlives the shutdown.
 */
export function untilSignalled(log: Logger, stop: (signal: NodeJS.Signals) => Promise<unknown>): Promise<number> {
  let signalled = false;
  return new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (signalled) {
        log.warn('second signal: exiting without waiting', { signal });
        process.exit(EXIT_FAILURE);
      }
      signalled = true;
      stop(signal).then(
        () => resolve(EXIT_OK),
        (err: unknown) => {
          log.error('error while shutting down', errorFields(err));
          resolve(EXIT_FAILURE);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }).then((code) => {
    // Safety net: do not hang around.
    setTimeout(() => process.exit(code), 1000).unref();
    return code;
  });
}
