import { strict as assert } from "node:assert";
import { expectVMError, expectVMErrorFrom } from "../assertions.js";
import type { CaseContext, ConformanceCase } from "../types.js";
import { collect } from "./exec.js";

// A uid no test image has a passwd entry for.
const UID_WITHOUT_ENTRY = "47231";

/** The home directory of `name` in the instance's /etc/passwd, read as root. */
async function passwdHome(ctx: CaseContext, id: string, name: string): Promise<string> {
  const result = await ctx.sh(id, 'while IFS=: read -r n _ _ _ _ h _; do [ "$n" = "$1" ] && { printf "%s" "${h:-/}"; exit 0; }; done < /etc/passwd; exit 1', [name]);
  assert.equal(result.exit_code, 0, `${name} has a passwd entry`);
  return result.stdout;
}

async function assertNoEntry(ctx: CaseContext, id: string, uid: string): Promise<void> {
  const result = await ctx.sh(id, 'cut -d: -f3 /etc/passwd | grep -qx -- "$1"', [uid]);
  assert.notEqual(result.exit_code, 0, `uid ${uid} must have no passwd entry in the test image`);
}

/**
 * Who an exec runs as and where: `cwd` entered as the exec's user, the gid of a uid without a
 * passwd entry, `HOME`/`USER`/`LOGNAME` of the target, a missing `cwd` or `user` as
 * `NOT_FOUND`, and the kill tag `VM_EXEC_ID` reserved to the provider.
 *
 * @example
 * ```ts
 * import { execIdentityCases } from "@vm/conformance";
 * console.log(execIdentityCases.map((c) => c.id));
 * ```
 */
export const execIdentityCases: readonly ConformanceCase[] = [
  {
    id: "exec.cwd-entered-as-user",
    title: "cwd is entered as the exec's user: a directory that user may not search is NOT_FOUND, never entered as root",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const locked = `${dir}/locked`;
      const setup = await ctx.sh(id, 'chmod 755 "$1" && mkdir -m 700 "$2" && echo secret > "$2/s"', [dir, locked]);
      assert.equal(setup.exit_code, 0, setup.stderr);
      assert.equal((await ctx.provider.instances.exec(id, ["cat", "s"], { cwd: locked })).stdout, "secret\n", "root reads it");
      await expectVMError(() => ctx.provider.instances.exec(id, ["cat", "s"], { cwd: locked, user: "nobody" }), "NOT_FOUND");
      await expectVMError(() => collect(ctx.provider.instances.execStream(id, ["cat", "s"], { cwd: locked, user: "nobody" })), "NOT_FOUND");
      assert.equal((await ctx.provider.instances.exec(id, ["pwd"], { cwd: dir, user: "nobody" })).stdout, `${dir}\n`, "a directory nobody may search is entered");
    },
  },
  {
    id: "exec.cwd-missing",
    title: "a cwd that does not exist is NOT_FOUND (exec and execStream); a command's own exit 125 stays a result",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const missing = `${await ctx.scratchDir()}/missing`;
      await expectVMErrorFrom("exec", () => ctx.provider.instances.exec(id, ["true"], { cwd: missing }), "NOT_FOUND");
      await expectVMErrorFrom("execStream", () => collect(ctx.provider.instances.execStream(id, ["true"], { cwd: missing })), "NOT_FOUND");
      assert.deepEqual(await ctx.sh(id, "echo out; echo err >&2; exit 125"), { stdout: "out\n", stderr: "err\n", exit_code: 125 });
      assert.deepEqual(await ctx.provider.instances.exec(id, ["sh", "-c", "exit 125"], { cwd: "/" }), { stdout: "", stderr: "", exit_code: 125 });
    },
  },
  {
    id: "exec.user-unknown",
    title: "a user name without a passwd entry is NOT_FOUND (exec and execStream)",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      await expectVMErrorFrom("exec", () => ctx.provider.instances.exec(id, ["true"], { user: "vmc-no-such-user" }), "NOT_FOUND");
      await expectVMErrorFrom("execStream", () => collect(ctx.provider.instances.execStream(id, ["true"], { user: "vmc-no-such-user" })), "NOT_FOUND");
    },
  },
  {
    id: "exec.user-uid-without-entry",
    title: "a numeric user without a passwd entry runs with gid = uid and no other group, never gid 0",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      await assertNoEntry(ctx, id, UID_WITHOUT_ENTRY);
      const result = await ctx.provider.instances.exec(id, ["sh", "-c", 'printf "%s|%s|%s" "$(id -u)" "$(id -g)" "$(id -G)"'], { user: UID_WITHOUT_ENTRY });
      assert.equal(result.stdout, `${UID_WITHOUT_ENTRY}|${UID_WITHOUT_ENTRY}|${UID_WITHOUT_ENTRY}`, result.stderr);
    },
  },
  {
    id: "exec.user-identity-env",
    title: "with user, HOME, USER and LOGNAME are the target's (a uid without entry: /, the uid); the call's env wins",
    level: "MUST",
    needs: ["execUser"],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const print = 'printf "%s|%s|%s" "${HOME-unset}" "${USER-unset}" "${LOGNAME-unset}"';
      const as = async (user: string, env?: Record<string, string>) => (await ctx.provider.instances.exec(id, ["sh", "-c", print], { user, ...(env ? { env } : {}) })).stdout;
      assert.equal(await as("nobody"), `${await passwdHome(ctx, id, "nobody")}|nobody|nobody`);
      assert.equal(await as("65534"), `${await passwdHome(ctx, id, "nobody")}|nobody|nobody`, "a uid with an entry is that entry");
      assert.equal(await as("root"), `${await passwdHome(ctx, id, "root")}|root|root`);
      await assertNoEntry(ctx, id, UID_WITHOUT_ENTRY);
      assert.equal(await as(UID_WITHOUT_ENTRY), `/|${UID_WITHOUT_ENTRY}|${UID_WITHOUT_ENTRY}`);
      assert.equal(await as("nobody", { HOME: "/tmp", USER: "someone" }), "/tmp|someone|nobody");
    },
  },
  {
    id: "exec.env-tag-reserved",
    title: "env may not set VM_EXEC_ID (the provider's kill tag): INVALID_ARGUMENT, exec and execStream",
    level: "MUST",
    needs: [],
    async run(ctx) {
      const id = await ctx.sharedInstance();
      await expectVMError(() => ctx.provider.instances.exec(id, ["true"], { env: { VM_EXEC_ID: "vmc-other" } }), "INVALID_ARGUMENT");
      await expectVMError(() => collect(ctx.provider.instances.execStream(id, ["true"], { env: { VM_EXEC_ID: "vmc-other" } })), "INVALID_ARGUMENT");
    },
  },
];
