// Cloudflare Workers (workerd): Workers cannot compile WebAssembly from
// bytes, so the .wasm is imported statically (Wrangler hands over a compiled
// WebAssembly.Module) and instantiated on the first `new CloudMqtt()`.
import module from "./cloudmqtt_api_wasm_bg.wasm";
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
