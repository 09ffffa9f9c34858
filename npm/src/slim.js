// `cloudmqtt-api/slim`: the client without a way of its own to load the
// .wasm, for hosts that must supply it (a custom loader, a CDN, a platform
// that hands over compiled modules). `await init(source)` once, then use
// the client as usual.
import * as wasm from "./wasm.js";
import { bind } from "./client.js";
import { compile } from "./load.js";

let loading;
let loaded = false;

/**
 * Loads the WebAssembly module from `source`: a `WebAssembly.Module`, the
 * bytes of `cloudmqtt_api_wasm_bg.wasm`, its URL, a `Response`, or a
 * promise of one of these. Calling it again is harmless: the first source
 * wins.
 */
export function init(source) {
  loading ??= compile(source).then(
    (module) => {
      wasm.initSync({ module });
      loaded = true;
    },
    (error) => {
      loading = undefined;
      throw error;
    },
  );
  return loading;
}

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
  if (!loaded) {
    throw new Error("cloudmqtt-api/slim: call `await init(wasm)` before `new CloudMqtt()`");
  }
  return wasm;
});
