// Compiling the .wasm from what a host hands over: shared by the browser
// entry and `cloudmqtt-api/slim`.

/**
 * A compiled `WebAssembly.Module` from a module (returned as is), bytes
 * (`ArrayBuffer`, a typed array or `DataView`), a URL or string to fetch, a
 * `Response`, or a promise of any of these. A response served as
 * `application/wasm` compiles while it streams.
 */
export async function compile(source) {
  source = await source;
  // Tags rather than instanceof: a module or buffer may come from another
  // realm (a test runner's, an iframe's).
  const tag = Object.prototype.toString.call(source);
  if (tag === "[object WebAssembly.Module]") return source;
  if (tag === "[object ArrayBuffer]" || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof source === "string" || tag === "[object URL]") source = await fetch(source);
  if (Object.prototype.toString.call(source) === "[object Response]") {
    if (!source.ok) {
      throw new Error(`cloudmqtt-api: could not load ${source.url || "the .wasm"} (HTTP ${source.status})`);
    }
    const type = source.headers.get("content-type") ?? "";
    if (typeof WebAssembly.compileStreaming === "function" && /^application\/wasm\s*(;|$)/i.test(type)) {
      return WebAssembly.compileStreaming(source);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  throw new TypeError(
    "cloudmqtt-api: init() takes a WebAssembly.Module, the .wasm bytes, its URL or a Response",
  );
}
