import { EXEC_TAG_VAR } from "@vm/provider-kit/internal";

/**
 * Every pm2 call goes through this one fixed POSIX sh script, run as
 * `sh -c DRIVER vm-pm2 <pm2Home> <op> <args…>`. User values only ever arrive as positional arguments
 * ("$1", "$@"), so nothing a caller passes is parsed as shell text.
 *
 * Exit codes the service relies on (see `fromPM2Result`):
 * - 0 success;
 * - 127 with `__VM_PM2_MISSING__` on stderr: no `pm2` on PATH;
 * - anything else: pm2 (or base64/mkdir) failed; stderr says why.
 */
export const DRIVER_SCRIPT = `
need_pm2() {
  if ! command -v pm2 >/dev/null 2>&1; then
    echo "__VM_PM2_MISSING__ pm2 is not installed (no pm2 on PATH)" >&2
    exit 127
  fi
}
daemon_running() {
  [ -f "$PM2_HOME/pm2.pid" ] && kill -0 "$(cat "$PM2_HOME/pm2.pid" 2>/dev/null)" 2>/dev/null
}
# $1 is PM2_HOME: set here as well as in the exec's env, so a provider that drops or
# overrides ExecOptions.env still reaches the one pinned daemon.
PM2_HOME="$1"
export PM2_HOME
# The daemon this call may start, and the apps it starts, outlive this exec: they must not carry
# the exec's kill tag, or a TIMEOUT or abort of this call would kill them all with it.
unset ${EXEC_TAG_VAR}
op="$2"
shift 2
case "$op" in
  jlist)
    need_pm2
    exec pm2 jlist
    ;;
  start)
    # $1 name (validated by the caller), $2 "replace" or "new", $3… base64 chunks of the ecosystem JSON
    need_pm2
    name="$1"; mode="$2"; shift 2
    dir="$PM2_HOME/apps"
    mkdir -p "$dir" || exit 1
    file="$dir/$name.json"
    tmp="$dir/.$name.json.$$"
    printf '%s' "$@" | base64 -d > "$tmp" || { rm -f "$tmp"; exit 1; }
    mv -f "$tmp" "$file" || { rm -f "$tmp"; exit 1; }
    if [ "$mode" = replace ]; then
      pm2 delete "$name" >/dev/null || exit 1
    fi
    # A config pm2 refused is not left behind for an app that never existed.
    pm2 start "$file" >/dev/null || { [ "$mode" = replace ] || rm -f "$file"; exit 1; }
    exec pm2 jlist
    ;;
  stop|restart|delete)
    # $1 a process name that exists, a numeric id, or "all"
    need_pm2
    exec pm2 "$op" "$1" >/dev/null
    ;;
  logs)
    # $1 line count, $2 out log path, $3 err log path, $4 byte cap (+1, so the caller sees a cut):
    # prints the newest $4 bytes of each tail, base64-encoded, on its own line. The cap is applied
    # here, in the VM, so the exec's output stays small whatever the process logged.
    for f in "$2" "$3"; do
      if [ -f "$f" ]; then
        tail -n "$1" -- "$f" | tail -c "$4" | base64 | tr -d '\\n'
      fi
      echo
    done
    ;;
  save)
    # No daemon (or no pm2): nothing to save, and starting a daemon just to save it would be wrong.
    if daemon_running && command -v pm2 >/dev/null 2>&1; then
      exec pm2 save --force >/dev/null
    fi
    ;;
  *)
    echo "vm-pm2: unknown operation" >&2
    exit 2
    ;;
esac
`;

/** Marker the driver prints when pm2 is not installed. */
export const PM2_MISSING_MARKER = "__VM_PM2_MISSING__";

/** `argv[0]` after `-c SCRIPT`: what `$0` is called in error messages from sh. */
const ARGV0 = "vm-pm2";

/** Base64 chunk size per argv element: Linux caps one argument at 128 KiB. */
export const CHUNK_BYTES = 64 * 1024;

/** Largest ecosystem file we send (base64), well below the kernel's total argv limit. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Argv that runs one driver operation against the daemon in `pm2Home`. */
export function driverArgv(pm2Home: string, op: string, ...args: string[]): string[] {
  return ["/bin/sh", "-c", DRIVER_SCRIPT, ARGV0, pm2Home, op, ...args];
}

/** Splits base64 text into argv-sized chunks. */
export function chunk(text: string, size = CHUNK_BYTES): string[] {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += size) parts.push(text.slice(i, i + size));
  return parts.length > 0 ? parts : [""];
}
