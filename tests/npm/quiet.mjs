// Records whatever is printed through console.* or raised as a process
// warning while a suite runs: the package must never log. helpers.mjs
// imports this first, so the recording starts before the package loads,
// and checks after each suite that nothing was recorded.
export const printed = [];

for (const name of ["log", "info", "warn", "error", "debug", "trace", "dir", "dirxml", "table"]) {
  const original = console[name];
  if (typeof original !== "function") continue;
  console[name] = function (...args) {
    printed.push(`console.${name}: ${args.map((arg) => String(arg)).join(" ")}`);
    return original.apply(this, args);
  };
}

process.on("warning", (warning) => {
  printed.push(`process warning: ${warning.name}: ${warning.message}`);
});
