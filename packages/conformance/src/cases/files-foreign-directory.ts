import { strict as assert } from "node:assert";
import type { ExecResult } from "@vm/core";
import type { ConformanceCase } from "../types.js";

// The attacker, as `nobody`, in the directory it owns ("$1"): every entry that is not the
// target (a writer's temp file or staging directory) is renamed away and replaced with a
// symbolic link to the victim ("$2"), as fast as a shell can. Bounded by iterations and by a
// "stop" file; prints how many entries it replaced.
const ATTACKER = `
cd -- "$1" || exit 1
victim=$2
: > started
shopt -s nullglob dotglob
n=0 i=0
while [ ! -e stop ] && [ "$i" -lt 1000000 ]; do
  i=$((i + 1))
  for f in *; do
    case $f in target|stop|started|moved.*) continue ;; esac
    [ -L "$f" ] && continue
    mv -T -- "$f" "moved.$n" 2>/dev/null || continue
    ln -s -- "$victim" "$f" 2>/dev/null
    n=$((n + 1))
  done
done
echo "$n"
`;

const WAIT_FOR = 'i=0; while [ ! -e "$1" ]; do i=$((i+1)); [ "$i" -lt 1200 ] || exit 1; sleep 0.05; done';
const VICTIM = 'stat -c "%u:%g %a" -- "$1" && cat -- "$1"';
const ROUNDS = 20;

/**
 * Root writing into a directory another user owns: that user can rename and replace every
 * entry there, including the writer's temp file, between its creation and its `chmod`,
 * `chown` and rename. Neither the content nor the mode nor the owner may land anywhere but
 * the target.
 */
export const foreignDirectoryCases: readonly ConformanceCase[] = [
  {
    id: "files.foreign-directory-race",
    title: "writeFileAtomic and copyFile as root into a directory nobody owns never touch what nobody swaps the temp file for (a symlink to a root file)",
    level: "MUST",
    needs: ["execUser"],
    timeoutMs: 300_000,
    async run(ctx) {
      const id = await ctx.sharedInstance();
      const dir = await ctx.scratchDir();
      const nb = `${dir}/nb`;
      const victim = `${dir}/victim`;
      const setup = await ctx.sh(
        id,
        'cd -- "$1" && printf "victim\\n" > victim && chmod 600 victim && printf copied > source && chmod 600 source && mkdir nb && chown nobody nb',
        [dir],
      );
      assert.equal(setup.exit_code, 0, setup.stderr);
      const victimBefore = (await ctx.sh(id, VICTIM, [victim])).stdout;
      assert.equal(victimBefore, "0:0 600\nvictim\n");
      const attacker: Promise<ExecResult> = ctx.provider.instances.exec(id, ["bash", "-c", ATTACKER, "attacker", nb, victim], { user: "nobody", timeoutMs: 240_000 });
      attacker.catch(() => undefined);
      const failures: string[] = [];
      try {
        assert.equal((await ctx.sh(id, WAIT_FOR, [`${nb}/started`])).exit_code, 0, "the attacker started");
        for (let i = 0; i < ROUNDS; i++) {
          // Under attack a write may fail (nobody owns the directory); it must never go elsewhere.
          await ctx.provider.files.writeFileAtomic(id, `${nb}/target`, `atomic ${i}\n`, { mode: "666", owner: "nobody" }).catch((err: unknown) => failures.push(String(err)));
          await ctx.provider.files.copyFile(id, `${dir}/source`, `${nb}/target`).catch((err: unknown) => failures.push(String(err)));
        }
      } finally {
        await ctx.sh(id, ': > "$1/stop"', [nb]);
      }
      const attack = await attacker;
      assert.equal(attack.exit_code, 0, attack.stderr);
      const swapped = Number(attack.stdout.trim());
      assert.equal((await ctx.sh(id, VICTIM, [victim])).stdout, victimBefore, `the victim kept its owner, mode and content (the attacker swapped ${swapped} entries; ${failures.length} writes failed)`);
      // Positive control: the attacker did swap the writers' entries (else this proved nothing).
      assert.ok(swapped > 0, "the attacker swapped at least one temp entry");
      const target = await ctx.sh(id, '[ -L "$1" ] && echo link; [ -f "$1" ] && cat -- "$1"', [`${nb}/target`]);
      assert.doesNotMatch(target.stdout, /^link/, "the target is never a symbolic link the attacker planted");
    },
  },
];
