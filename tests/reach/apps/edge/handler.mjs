// A Vercel Edge function (service-worker style, as the Edge Runtime runs
// it): runs the probe against the API named in ?api=.
import * as lib from "cloudmqtt-api";
import { probe } from "../probe.mjs";

addEventListener("fetch", (event) => {
  const api = new URL(event.request.url).searchParams.get("api");
  event.respondWith(
    probe(lib, api).then(
      (report) => Response.json(report),
      (error) => Response.json({ error: String(error && error.stack ? error.stack : error) }, { status: 500 }),
    ),
  );
});
