// "@vm/pm2/internal": what the @vm providers and this repository's tests share beyond the
// user's API. No semver guarantees: any release may change or remove them.
export { PM2_RESURRECT_SCRIPT } from "./save.js";
