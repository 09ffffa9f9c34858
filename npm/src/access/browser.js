// Browsers, Deno and other ESM runtimes, for `cloudmqtt-api/access`: the
// client with plan, apply and exportAccess. Its .wasm is fetched by URL next
// to this file and compiled as the main entry's is.
import * as wasm from "./wasm.js";
import { bind } from "../client.js";
import { compile } from "../load.js";

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
  evaluateAccess,
  testAccess,
  explainAccess,
  diffAccess,
} = bind(() => wasm, { access: true });
