
// `cloudmqtt-api/access` only: the build appends this to index.d.ts for
// that entry.

/** This entry's client has the access methods. */
export interface CloudMqtt extends AccessMethods {}

/**
 * Answers an access query over a rule list exactly as the Mosquitto broker
 * behind CloudMQTT would: deny rules first within the user's topic rules,
 * then within the pattern rules (`%u` and `%c` substituted), `$` topics
 * only for filters starting with `$`, no writes under `$SYS`, nothing under
 * `$share`. Pure and synchronous: no network.
 * @throws {CloudMqttError} INVALID_INPUT when the rules or the query are malformed.
 */
export function evaluateAccess(rules: readonly AclRule[], query: AccessQuery): AccessDecision;
