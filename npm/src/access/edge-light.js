// Vercel's Edge Runtime (the `edge-light` condition), for
// `cloudmqtt-api/access`: the client with the access checker, plan, apply
// and exportAccess. As in the main entry, a `?module` import hands over a
// compiled WebAssembly.Module (from Node's realm under `next start` and
// `vercel dev`), instantiated on the first use; no top-level await.
import module from "./cloudmqtt_api_wasm_bg.wasm?module";
import * as wasm from "./wasm.js";
import { bind } from "../client.js";

export const {
  CloudMqtt,
  CloudMqttError,
  ValidationError,
  AuthenticationError,
  NotFoundError,
  AlreadyExistsError,
  RateLimitError,
  ApiError,
  ConnectionError,
  AbortError,
  WaitTimeoutError,
  StalePlanError,
  InternalError,
  evaluateAccess,
  testAccess,
  explainAccess,
  diffAccess,
} = bind(
  () => {
    wasm.initSync({ module });
    return wasm;
  },
  { access: true },
);
