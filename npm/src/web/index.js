// Browsers, Deno and other ESM runtimes: the .wasm is fetched by URL next to
// this file (bundlers understand `new URL(..., import.meta.url)`), and the
// module initialises itself with top-level await.
import init, * as wasm from "./cloudmqtt_api_wasm.js";
import { bind } from "../client.js";

await init({ module_or_path: new URL("./cloudmqtt_api_wasm_bg.wasm", import.meta.url) });

export const { CloudMqtt, CloudMqttError } = bind(wasm);
