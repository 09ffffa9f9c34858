// Cloudflare Workers (workerd), for `cloudmqtt-api/access`: the client with
// the access checker, plan, apply and exportAccess. As in the main entry,
// the .wasm is imported statically (Wrangler hands over a compiled
// WebAssembly.Module) and instantiated on the first use.
import module from "./cloudmqtt_api_wasm_bg.wasm";
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
