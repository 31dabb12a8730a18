/**
 * Who an exec with `user` runs as, the same on every provider:
 *
 * - a name or uid with an entry in the instance's `/etc/passwd`: that entry's uid, its primary
 *   gid and its supplementary groups;
 * - a numeric uid without one: that uid, gid = uid and no supplementary groups (never gid 0);
 * - a name without one: `NOT_FOUND` (see `startFailureError`).
 *
 * The command's `HOME`, `USER` and `LOGNAME` are the target's (`execIdentityEnv`), unless the
 * call's `env` sets them. The lookup reads `/etc/passwd` itself, as container runtimes do (a
 * numeric user matches by uid, a name by name), not NSS.
 */
import { PASSWD_LOOKUP_SH } from "./sh/passwd-lookup.sh.js";
import { USER_LOOKUP_SH } from "./sh/user-lookup.sh.js";

/**
 * POSIX sh function `vm_pw NAME_OR_UID`: sets `pw_name`, `pw_uid`, `pw_gid`, `pw_home` (empty
 * home: `/`) from the first matching `/etc/passwd` entry and returns 0, or returns 1. Embedded
 * in wrapper scripts; user values reach it as arguments only. The script is
 * ./sh/passwd-lookup.sh, embedded at build time (scripts/embed-shell.mjs).
 */
export const PASSWD_LOOKUP_FUNCTION = PASSWD_LOOKUP_SH.replace(/\n$/, "");

/**
 * Prints the passwd entry of `$1` as four lines (name, uid, gid, home) and exits 0, or exits 3
 * when there is none. argv: `["sh", "-c", USER_LOOKUP_SCRIPT, "vm-user", user]`.
 * ./sh/passwd-lookup.sh, then ./sh/user-lookup.sh.
 */
export const USER_LOOKUP_SCRIPT = `${PASSWD_LOOKUP_SH}${USER_LOOKUP_SH}`;

/** Exit code of `USER_LOOKUP_SCRIPT` when the user has no passwd entry. */
export const USER_LOOKUP_NONE_EXIT = 3;

/** One `/etc/passwd` entry, as `USER_LOOKUP_SCRIPT` prints it. */
export interface PasswdEntry {
  name: string;
  uid: string;
  gid: string;
  home: string;
}

/**
 * Parses the output of `USER_LOOKUP_SCRIPT` (exit 0); undefined when it is not four lines with
 * numeric ids.
 *
 * @example
 * ```ts
 * import { parseUserLookup } from "@vm/provider-kit";
 * parseUserLookup("nobody\n65534\n65534\n/nonexistent\n"); // { name: "nobody", uid: "65534", ... }
 * ```
 */
export function parseUserLookup(stdout: string): PasswdEntry | undefined {
  const lines = stdout.split("\n");
  if (lines.length !== 5 || lines[4] !== "") return undefined;
  const [name = "", uid = "", gid = "", home = ""] = lines;
  if (name === "" || !/^[0-9]+$/.test(uid) || !/^[0-9]+$/.test(gid)) return undefined;
  return { name, uid, gid, home: home === "" ? "/" : home };
}

/**
 * `HOME`, `USER` and `LOGNAME` of an exec's target user: from its passwd entry, or for a
 * numeric uid without one, `HOME=/` and the uid as `USER`/`LOGNAME`. Entries of the call's own
 * `env` win (the caller asked for them).
 *
 * @example
 * ```ts
 * import { execIdentityEnv } from "@vm/provider-kit";
 * execIdentityEnv({ name: "nobody", uid: "65534", gid: "65534", home: "/nonexistent" }, "nobody", {});
 * // { HOME: "/nonexistent", USER: "nobody", LOGNAME: "nobody" }
 * ```
 */
export function execIdentityEnv(entry: PasswdEntry | undefined, user: string, env: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const name = entry?.name ?? user;
  const identity: Record<string, string> = { HOME: entry?.home ?? "/", USER: name, LOGNAME: name };
  for (const key of Object.keys(identity)) if (env !== undefined && Object.hasOwn(env, key)) delete identity[key];
  return identity;
}
