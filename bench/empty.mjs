// An empty module: bench/run.mjs times its import in a fresh Node process,
// Node's own cost of a first import, printed beside "import alone".
export {};
