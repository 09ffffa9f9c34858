// Finds the TypeScript and JavaScript code blocks of a Markdown file and
// the marker before each (see README.md in this folder). Each block is a
// module of its own; nothing is shared between blocks.
//
//   node extract.mjs FILE.md ...   lists the blocks found and their modes

/** Info-string languages that are checked, and the extension each is written with. */
export const LANGUAGES = {
  ts: ".mts",
  typescript: ".mts",
  mts: ".mts",
  cts: ".cts",
  js: ".mjs",
  javascript: ".mjs",
  mjs: ".mjs",
  cjs: ".cjs",
};

/** Languages that look like code this folder could check but does not: a block in one must be marked skip. */
const UNSUPPORTED = new Set(["jsx", "tsx"]);

/**
 * The modes a marker can give:
 * - run: type-checked, then run in Node against the emulator (the default);
 * - typecheck-only: type-checked, never run (another host: a page, a Worker, Deno, the Edge);
 * - skip: neither (not a module: a fragment, a shell session).
 */
export const MODES = ["run", "typecheck-only", "skip"];

const MARKER = /^\s*<!--\s*docs:(.*?)-->\s*$/;
const MARKER_START = /<!--\s*docs:/;

/**
 * Reads one marker's text, e.g. `typecheck-only (a Worker)` or
 * `given users dashboard`. Returns { mode, reason, given } or throws.
 */
export function parseMarker(text) {
  const body = text.trim();
  let match = /^(skip|typecheck-only)\s*\((.+)\)$/.exec(body);
  if (match) return { mode: match[1], reason: match[2].trim(), given: [] };
  if (/^(skip|typecheck-only)\b/.test(body)) {
    throw new Error(`"${body}": say why in parentheses, as in "typecheck-only (a Worker)"`);
  }
  match = /^given users? (.+)$/.exec(body);
  if (match) {
    const given = match[1].split(/[\s,]+/).filter(Boolean);
    for (const name of given) {
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`"${body}": "${name}" is not a user name`);
    }
    return { mode: "run", reason: `the server has user${given.length > 1 ? "s" : ""} ${given.join(", ")}`, given };
  }
  throw new Error(`"${body}" is not a marker: use "skip (why)", "typecheck-only (why)" or "given users NAME, ..."`);
}

/**
 * The blocks of `markdown` (the text of `file`): each
 * { file, line, lang, ext, code, mode, reason, given }, `line` being the
 * line of its opening fence and `code` its content with the fence's
 * indentation removed. Also `problems`: markers that are malformed or are
 * not right before a checked block, and blocks in languages that cannot be
 * checked and are not skipped. Each problem is "FILE:LINE: what".
 */
export function extractBlocks(markdown, file) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  const problems = [];
  /** The marker waiting for the next fence: { line, parsed } */
  let pending = null;
  const dropPending = (why) => {
    if (pending) problems.push(`${file}:${pending.line}: this marker ${why}`);
    pending = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    const fence = /^(\s*)(`{3,}|~{3,})(.*)$/.exec(text);
    if (fence) {
      const [, indent, ticks, info] = fence;
      if (ticks[0] === "`" && info.includes("`")) {
        // Not a fence (an info string of a backtick fence has no backtick).
      } else {
        const start = i;
        const body = [];
        let closed = false;
        for (i = i + 1; i < lines.length; i++) {
          const close = /^(\s*)(`{3,}|~{3,})\s*$/.exec(lines[i]);
          if (close && close[2][0] === ticks[0] && close[2].length >= ticks.length) {
            closed = true;
            break;
          }
          body.push(lines[i].startsWith(indent) ? lines[i].slice(indent.length) : lines[i].trimStart());
        }
        if (!closed) problems.push(`${file}:${start + 1}: this code block is never closed`);
        const lang = info.trim().split(/[\s{]/)[0].toLowerCase();
        const ext = LANGUAGES[lang];
        const marker = pending?.parsed;
        const markerLine = pending?.line;
        pending = null;
        if (ext === undefined) {
          if (UNSUPPORTED.has(lang) && marker?.mode !== "skip") {
            problems.push(`${file}:${start + 1}: a \`${lang}\` block cannot be checked here: mark it <!-- docs: skip (why) -->`);
          } else if (marker && !UNSUPPORTED.has(lang)) {
            problems.push(`${file}:${markerLine}: this marker is before a \`${lang || "plain"}\` block, which is never checked`);
          }
          continue;
        }
        blocks.push({
          file,
          line: start + 1,
          lang,
          ext,
          code: `${body.join("\n")}\n`,
          mode: marker?.mode ?? "run",
          reason: marker?.reason ?? "",
          given: marker?.given ?? [],
        });
        continue;
      }
    }
    const marker = MARKER.exec(text);
    if (marker) {
      dropPending("is not right before a code block");
      try {
        pending = { line: i + 1, parsed: parseMarker(marker[1]) };
      } catch (error) {
        problems.push(`${file}:${i + 1}: ${error.message}`);
      }
      continue;
    }
    if (MARKER_START.test(text)) {
      problems.push(`${file}:${i + 1}: a marker is one line of its own: <!-- docs: ... -->`);
      continue;
    }
    // A marker stands right before its block: only blank lines between.
    if (pending && text.trim() !== "") dropPending("is not right before a code block");
  }
  dropPending("is not right before a code block");
  return { blocks, problems };
}

/** A file name for a block: the Markdown file's path as a slug, and the fence's line. */
export function blockName(block) {
  const slug = block.file
    .replace(/\.md$/i, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase();
  return `${slug}-${block.line}`;
}

/**
 * The module written for a block: its code, with `npm:` specifiers (Deno's)
 * read as plain package names so that tsc resolves them in node_modules.
 */
export function moduleText(block) {
  return block.code.replace(/(["'])npm:(cloudmqtt-api[^"']*)\1/g, "$1$2$1");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { readFileSync } = await import("node:fs");
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const { blocks, problems } = extractBlocks(readFileSync(file, "utf8"), file);
    for (const block of blocks) {
      console.log(`${file}:${block.line} ${block.lang} ${block.mode}${block.reason ? ` (${block.reason})` : ""}`);
    }
    for (const problem of problems) console.error(problem);
    failed ||= problems.length > 0;
  }
  process.exitCode = failed ? 1 : 0;
}
