import { startEmulatorFromEnv } from "./start.js";

// `pnpm --filter @vm/morph-emulator start`: serve until SIGTERM/SIGINT, then remove every
// container and image this run created.
const log = (line: string) => process.stdout.write(`[morph-emulator] ${line}\n`);

try {
  const { emulator, session } = await startEmulatorFromEnv(process.env, log);
  log(`listening on ${emulator.apiUrl} (session ${session})`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: cleaning up`);
    emulator.close().then(
      () => {
        log("stopped");
        process.exit(0);
      },
      (err: unknown) => {
        log(`cleanup failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
} catch (err) {
  log(`failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
