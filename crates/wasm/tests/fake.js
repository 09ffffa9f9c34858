// A scripted stand-in for a server, handed to the client as its `fetch`.
// Each reply is used once, in order; the last one repeats.
//   { status, body, headers }  a response
//   { hang: true }             never answers and ignores the abort signal
//   { fail: true }             rejects like a refused connection
//   { error: true }            a network-error Response (status 0)
export class FakeServer {
  constructor(replies) {
    this.replies = replies;
    this.requests = [];
  }

  /** A `fetch(input, init)`: the client's own fetch gets a Request, the global one a URL and init. */
  get fetch() {
    return (input, init) => this.handle(input instanceof Request ? input : new Request(input, init));
  }

  async handle(request) {
    const body = await request.text();
    this.requests.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body,
      credentials: request.credentials,
      redirect: request.redirect,
      hasSignal: request.signal instanceof AbortSignal,
    });
    const reply = this.replies.length > 1 ? this.replies.shift() : this.replies[0];
    if (reply.hang) return new Promise(() => {});
    if (reply.fail) throw new TypeError("connection refused");
    if (reply.error) return Response.error();
    return new Response(reply.body ?? null, {
      status: reply.status ?? 200,
      headers: reply.headers ?? {},
    });
  }

  count() {
    return this.requests.length;
  }

  request(index) {
    return this.requests[index];
  }
}

export function options(extra) {
  return { apiKey: "test-key-0123", baseUrl: "http://127.0.0.1:9/api", maxRetries: 0, ...extra };
}

export function abortAfter(ms, reason, withReason) {
  const controller = new AbortController();
  setTimeout(() => (withReason ? controller.abort(reason) : controller.abort()), ms);
  return controller.signal;
}

export function abortedSignal() {
  const controller = new AbortController();
  controller.abort("stop");
  return controller.signal;
}

export function setGlobalFetch(fetch) {
  const previous = globalThis.fetch;
  globalThis.fetch = fetch;
  return previous;
}

export function now() {
  return Date.now();
}
