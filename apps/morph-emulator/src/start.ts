import { createDockerVMProvider } from "@vm/provider-docker";
import { createMorphEmulator, type MorphEmulator } from "./emulator.js";
import { emulatorImages } from "./images.js";

/** Label put on every container and image the emulator's backend creates (value: the emulator's session id). */
export const EMULATOR_LABEL = "morph-emulator.session";

/** An emulator started from environment variables. */
export interface StartedEmulator {
  emulator: MorphEmulator;
  /** The value of `EMULATOR_LABEL` on everything this emulator created. */
  session: string;
}

/**
 * Starts the emulator from the environment: `PORT` (default 3737), `HOST` (default
 * 127.0.0.1), `MORPH_API_KEY` (required), `VM_MINIMAL_IMAGE` (default `vm-minimal:latest`, Debian
 * without Node or PM2, offered as image `morphvm-minimal` like Morph Cloud's), `VM_BASE_IMAGE`
 * (default `vm-base:latest`, Debian with Node and PM2, offered as image `vm-base`, which Morph Cloud
 * does not have), `MORPH_EMULATOR_SESSION` (label value; default a random id),
 * `MORPH_EMULATOR_EXEC_MODE` (`ssh`, the default, or `argv`: see `MorphEmulatorOptions.execMode`).
 * Both images come from `scripts/base-image.sh`.
 *
 * @example
 * ```ts
 * import { startEmulatorFromEnv } from "@vm/morph-emulator";
 * const { emulator } = await startEmulatorFromEnv({ ...process.env, PORT: "0", MORPH_API_KEY: "dev" });
 * await emulator.close();
 * ```
 */
export async function startEmulatorFromEnv(env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = () => undefined): Promise<StartedEmulator> {
  const apiKey = env.MORPH_API_KEY;
  if (!apiKey) throw new Error("MORPH_API_KEY must be set: it is the one Bearer key the emulator accepts");
  const port = Number(env.PORT ?? "3737");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, got ${JSON.stringify(env.PORT)}`);
  const session = env.MORPH_EMULATOR_SESSION ?? `emu-${process.pid}-${Date.now().toString(36)}`;
  const images = emulatorImages({ minimal: env.VM_MINIMAL_IMAGE || "vm-minimal:latest", base: env.VM_BASE_IMAGE || "vm-base:latest" });
  const execMode = env.MORPH_EMULATOR_EXEC_MODE ?? "ssh";
  if (execMode !== "ssh" && execMode !== "argv") throw new Error(`MORPH_EMULATOR_EXEC_MODE must be "ssh" or "argv", got ${JSON.stringify(execMode)}`);
  const backend = createDockerVMProvider({ labels: { [EMULATOR_LABEL]: session } });
  const emulator = createMorphEmulator({
    apiKey,
    backend,
    images,
    host: env.HOST ?? "127.0.0.1",
    port,
    log,
    execMode,
  });
  await emulator.listen();
  return { emulator, session };
}
