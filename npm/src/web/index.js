// Browsers, Deno and other ESM runtimes: the .wasm is fetched by URL next to
// this file (bundlers understand `new URL(..., import.meta.url)`), and the
// module initialises itself with top-level await.
import init, * as wasm from "./cloudmqtt_api_wasm.js";
import { bind } from "../client.js";

await init({ module_or_path: await compile(new URL("./cloudmqtt_api_wasm_bg.wasm", import.meta.url)) });

export const { CloudMqtt, CloudMqttError, evaluateAccess } = bind(wasm);

/**
 * Fetches and compiles the .wasm: streaming when it is served as
 * `application/wasm`, from its bytes otherwise. The glue then gets a
 * compiled module and has nothing to warn about on the console.
 */
async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`cloudmqtt-api: could not load ${url} (HTTP ${response.status})`);
  }
  const type = response.headers.get("content-type") ?? "";
  if (typeof WebAssembly.compileStreaming === "function" && /^application\/wasm\s*(;|$)/i.test(type)) {
    return WebAssembly.compileStreaming(response);
  }
  return WebAssembly.compile(await response.arrayBuffer());
}
