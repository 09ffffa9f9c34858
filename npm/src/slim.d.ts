
/**
 * What {@link init} loads the WebAssembly module from: a compiled
 * `WebAssembly.Module`, the bytes of the package's
 * `dist/cloudmqtt_api_wasm_bg.wasm`, its URL (fetched), a `Response`, or a
 * promise of one of these.
 */
export type WasmSource =
  | WebAssembly.Module
  | ArrayBuffer
  | ArrayBufferView
  | URL
  | string
  | Response
  | PromiseLike<WebAssembly.Module | ArrayBuffer | ArrayBufferView | URL | string | Response>;

/**
 * Loads the WebAssembly module of `cloudmqtt-api/slim`. Await it once
 * before the first `new CloudMqtt()`; calling it again is harmless (the
 * first source wins).
 *
 * @param source The module, its bytes, its URL or a `Response` for it.
 * @throws {TypeError} when `source` is none of these.
 * @throws {Error} when the URL cannot be fetched or the bytes do not compile.
 * @example
 * import { init, CloudMqtt } from "cloudmqtt-api/slim";
 * // A Worker or Vercel Edge function hands over a compiled module:
 * import wasm from "cloudmqtt-api/cloudmqtt_api_wasm_bg.wasm";
 * await init(wasm);
 * const api = new CloudMqtt({ apiKey: env.CLOUDMQTT_API_KEY });
 */
export function init(source: WasmSource): Promise<void>;
