// Vercel's Edge Runtime (the `edge-light` condition): like Workers, it
// cannot compile WebAssembly from bytes; Vercel's bundling turns a
// `?module` import into a compiled WebAssembly.Module (`next start` and
// `vercel dev` compile it in Node's realm, outside the sandbox the code runs
// in; the glue takes it all the same). Instantiated on the first
// `new CloudMqtt()`; no top-level await, which Vercel's CommonJS output
// cannot hold.
import module from "./cloudmqtt_api_wasm_bg.wasm?module";
import * as wasm from "./wasm.js";
import { bind } from "./client.js";

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
} = bind(() => {
  wasm.initSync({ module });
  return wasm;
});
