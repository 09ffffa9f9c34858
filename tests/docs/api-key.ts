// The READMEs' Node examples write `new CloudMqtt()`: with no `apiKey`, the
// key comes from CLOUDMQTT_API_KEY in the environment (as openai-node reads
// OPENAI_API_KEY). That needs the options, and `apiKey` in them, optional
// in every entry's types. Type-checked by docs.test.mjs; nothing here runs.
import { CloudMqtt } from "cloudmqtt-api";
import { CloudMqtt as AccessClient } from "cloudmqtt-api/access";
import { CloudMqtt as SlimClient } from "cloudmqtt-api/slim";

export const clients = [
  new CloudMqtt(),
  new CloudMqtt({ timeoutMs: 10_000 }),
  new AccessClient(),
  new AccessClient({ maxRetries: 0 }),
  new SlimClient(),
];
