// Loaded with `node --import` before each runnable block (see README.md in
// this folder): the blocks call the public API's URL, and this sends those
// calls to the emulator the test started instead, so the blocks stay as a
// reader copies them. DOCS_EMULATOR_API is the emulator's base URL
// (http://127.0.0.1:PORT/api); CLOUDMQTT_API_KEY is set to its key in the
// block's environment.
const PUBLIC = "https://api.cloudmqtt.com/api";
const target = process.env.DOCS_EMULATOR_API;
if (!target) throw new Error("preload.mjs: DOCS_EMULATOR_API is not set");

/** The emulator's URL for a URL under the public API's base URL; other URLs unchanged. */
function rewrite(url) {
  if (url === PUBLIC || url.startsWith(`${PUBLIC}/`) || url.startsWith(`${PUBLIC}?`)) {
    return target + url.slice(PUBLIC.length);
  }
  return url;
}

const realFetch = globalThis.fetch;
globalThis.fetch = function fetch(input, init) {
  if (input instanceof Request) {
    const url = rewrite(input.url);
    if (url !== input.url) {
      input = new Request(url, {
        method: input.method,
        headers: input.headers,
        body: input.body,
        duplex: "half",
        signal: input.signal,
        redirect: input.redirect,
        credentials: input.credentials,
      });
    }
  } else {
    input = rewrite(String(input));
  }
  return realFetch(input, init);
};
