/**
 * Every (method, path) of Morph's spec the emulator does not serve (it answers `404`), with
 * why. A unit test checks that each spec path is either routed or listed here.
 */
export const NOT_EMULATED: readonly { method: string; path: string; reason: string }[] = [
  { method: "POST", path: "/snapshot/{snapshot_id}/token", reason: "snapshot sharing between accounts: the emulator has one account" },
  { method: "POST", path: "/snapshot/pull", reason: "pulls a snapshot shared by another account (needs /snapshot/{id}/token)" },
  { method: "GET", path: "/user/api-key", reason: "account management: the emulator has one fixed key (MORPH_API_KEY)" },
  { method: "POST", path: "/user/api-key", reason: "account management: the emulator has one fixed key (MORPH_API_KEY)" },
  { method: "DELETE", path: "/user/api-key/{api_key_id}", reason: "account management: the emulator has one fixed key (MORPH_API_KEY)" },
  { method: "GET", path: "/user/ssh-key", reason: "account SSH key: the emulator has no SSH gateway" },
  { method: "PUT", path: "/user/ssh-key", reason: "account SSH key: the emulator has no SSH gateway" },
  { method: "GET", path: "/user/usage", reason: "billing usage: nothing is metered" },
];
