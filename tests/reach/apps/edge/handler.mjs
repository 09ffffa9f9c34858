// A Vercel Edge function (service-worker style, as the Edge Runtime runs
// it): runs the probe against the API named in ?api=, and the access
// entry's checker.
import * as lib from "cloudmqtt-api";
import * as access from "cloudmqtt-api/access";
import { accessProbe, probe } from "../probe.mjs";

addEventListener("fetch", (event) => {
  const api = new URL(event.request.url).searchParams.get("api");
  event.respondWith(
    probe(lib, api).then(
      (report) => Response.json({ ...report, access: accessProbe(access) }),
      (error) => Response.json({ error: String(error && error.stack ? error.stack : error) }, { status: 500 }),
    ),
  );
});
