// Browsers, Deno and other ESM runtimes, for `cloudmqtt-api/access`: the
// client with plan, apply and exportAccess. Its .wasm is fetched by URL next
// to this file and compiled as the main entry's is.
import init, * as wasm from "./cloudmqtt_api_wasm.js";
import { bind } from "../../client.js";

const url = new URL("./cloudmqtt_api_wasm_bg.wasm", import.meta.url);
const response = await fetch(url);
if (!response.ok) {
  throw new Error(`cloudmqtt-api: could not load ${url} (HTTP ${response.status})`);
}
const type = response.headers.get("content-type") ?? "";
const module_or_path =
  typeof WebAssembly.compileStreaming === "function" && /^application\/wasm\s*(;|$)/i.test(type)
    ? await WebAssembly.compileStreaming(response)
    : await WebAssembly.compile(await response.arrayBuffer());
await init({ module_or_path });

export const { CloudMqtt, CloudMqttError } = bind(wasm);
