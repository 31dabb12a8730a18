import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { shellQuote, toShellLine } from "./shell-line.js";

// The line is run the way an SSH server runs a command: `<shell> -c LINE`; the argv it splits
// into is printed NUL-separated, so every byte is compared.
function splitBy(shell: string, line: string): string[] {
  const out = execFileSync(shell, ["-c", `printf '%s\\0' ${line}`], { encoding: "utf8" });
  return out.split("\0").slice(0, -1);
}

const HOSTILE = [
  "",
  " ",
  "a b",
  "'",
  "''",
  "it's",
  '"',
  "\\",
  "\\'",
  "$(id)",
  "`id`",
  "${HOME}",
  "$HOME",
  "!!",
  "*",
  "?",
  "[a]",
  "{a,b}",
  "~",
  "~root",
  "a;b",
  "a|b",
  "a&b",
  "a\nb",
  "\n",
  "\t",
  "\r",
  "#comment",
  "-c",
  "--",
  "é ☃ 😀",
  "\u0001\u001f\u007f",
  "a=b",
  "x".repeat(1000),
];

describe("toShellLine", () => {
  for (const shell of ["sh", "bash"]) {
    it(`splits back into exactly the argv in ${shell}, for hostile words`, () => {
      expect(splitBy(shell, toShellLine(HOSTILE))).toEqual(HOSTILE);
    });
  }

  it("joined with spaces as one element, it is itself (SSH joins a command's elements)", () => {
    const line = toShellLine(["echo", "a b"]);
    expect([line].join(" ")).toBe(line);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
