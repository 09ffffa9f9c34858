// Browsers, Deno and other ESM runtimes: the .wasm is fetched by URL next to
// this file (bundlers understand `new URL(..., import.meta.url)` and copy the
// file), compiled while it streams, and instantiated with top-level await,
// so that `new CloudMqtt()` can check its options at once.
import * as wasm from "./wasm.js";
import { bind } from "./client.js";
import { compile } from "./load.js";

wasm.initSync({ module: await compile(new URL("./cloudmqtt_api_wasm_bg.wasm", import.meta.url)) });

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
} = bind(() => wasm);
