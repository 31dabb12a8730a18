#!/usr/bin/env node
// Entry point of `pnpm --filter @vm/demo start`.
import { runCli } from "./cli.js";

const code = await runCli(process.argv.slice(2));
// Exit explicitly once stdout has drained: an engine client may keep idle sockets open.
process.stdout.write("", () => process.exit(code));
