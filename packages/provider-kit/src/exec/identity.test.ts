import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PASSWD_LOOKUP_FUNCTION, USER_LOOKUP_SCRIPT, execIdentityEnv, parseUserLookup } from "./identity.js";

// Runs the lookup function against a given passwd file (the script's /etc/passwd swapped by sed).
function lookup(passwd: string, user: string, shell = "sh"): { code: number; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), "vm-pw-"));
  writeFileSync(join(dir, "passwd"), passwd);
  const script = USER_LOOKUP_SCRIPT.replace("/etc/passwd", join(dir, "passwd"));
  try {
    return { code: 0, stdout: execFileSync(shell, ["-c", script, "vm-user", user], { encoding: "utf8" }) };
  } catch (err) {
    return { code: (err as { status: number }).status, stdout: "" };
  }
}

describe("USER_LOOKUP_SCRIPT", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nnohome:x:7:8::";
  it("finds a name by name and a number by uid, like the container runtimes", () => {
    expect(parseUserLookup(lookup(passwd, "nobody").stdout)).toEqual({ name: "nobody", uid: "65534", gid: "65534", home: "/nonexistent" });
    expect(parseUserLookup(lookup(passwd, "0").stdout)).toEqual({ name: "root", uid: "0", gid: "0", home: "/root" });
    expect(parseUserLookup(lookup(passwd, "nohome").stdout), "the last line has no newline; an empty home is /").toEqual({ name: "nohome", uid: "7", gid: "8", home: "/" });
  });
  it("exits 3 when there is no entry", () => {
    expect(lookup(passwd, "4242").code).toBe(3);
    expect(lookup(passwd, "bob").code).toBe(3);
    expect(lookup(passwd, "x").code, "a name is not matched against the password field").toBe(3);
  });
  it("answers the same in bash (Morph's wrapper embeds the function in a bash script)", () => {
    for (const user of ["nobody", "0", "nohome", "4242", "bob"]) expect(lookup(passwd, user, "bash")).toEqual(lookup(passwd, user, "sh"));
  });
  it("is a function other wrappers embed", () => {
    expect(USER_LOOKUP_SCRIPT.startsWith(PASSWD_LOOKUP_FUNCTION)).toBe(true);
  });
});

describe("parseUserLookup / execIdentityEnv", () => {
  it("refuses malformed output", () => {
    expect(parseUserLookup("a\nb\nc\nd\n")).toBeUndefined();
    expect(parseUserLookup("")).toBeUndefined();
  });
  it("gives the entry's HOME/USER/LOGNAME, the uid and / without one, and lets env win", () => {
    expect(execIdentityEnv({ name: "nobody", uid: "65534", gid: "65534", home: "/nonexistent" }, "65534", undefined)).toEqual({ HOME: "/nonexistent", USER: "nobody", LOGNAME: "nobody" });
    expect(execIdentityEnv(undefined, "4242", {})).toEqual({ HOME: "/", USER: "4242", LOGNAME: "4242" });
    expect(execIdentityEnv(undefined, "4242", { HOME: "/tmp" })).toEqual({ USER: "4242", LOGNAME: "4242" });
  });
});
