// Jest, default configuration: the package required in its node environment.
const lib = require("cloudmqtt-api");
const { probe } = require("../probe.cjs");

test("a real call to the loopback server", async () => {
  const report = await probe(lib, process.env.REACH_API);
  expect(report.users).toEqual([{ username: "alice" }, { username: "bob" }]);
  expect(report.missing).toEqual({ isCloudMqttError: true, code: "NOT_FOUND", status: 404 });
  expect(report.names.classes).toEqual(["CloudMqtt", "CloudMqttError", "CloudMqtt"]);
  expect(report.names.error.constructorName).toBe(report.names.error.name);
  expect(report.names.error.exported).toBe(true);
});
