#!/usr/bin/env python3
"""Finds import circles between the files of each crate.

Every `.rs` file under `crates/*/src` is a node (`error/redact.rs` is the
module `error::redact`). A file depends on another when its code names it by
a `crate::`, `super::` or `self::` path (in a `use` or anywhere else; a name
re-exported by the crate root counts as the module it comes from), and a
module depends on the files of its `mod` declarations. A file naming one of
its own ancestors does not count: a child module using its parent is not a
circle. Comments and string literals are skipped, and so is test code (items
under `#[cfg(test)]`) unless `--tests` is given.

Prints every circle found (one strongly connected group of files per line,
with one cycle through it) and exits 1 when there is any, 0 otherwise.

    python3 scripts/import-graph.py [--tests] [--edges] [crate-dir ...]
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def strip(source):
    """The source with comments, strings and char literals blanked out."""
    out = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j
        elif source.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if source.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif source.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if source[i] == "\n":
                        out.append("\n")
                    i += 1
        elif re.match(r'b?r#*"', source[i:i + 40]) and not (i and (source[i - 1].isalnum() or source[i - 1] == "_")):
            m = re.match(r'(b?r)(#*)"', source[i:])
            end = '"' + m.group(2)
            j = source.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * source.count("\n", i, j))
            i = j
        elif c == '"' or (c == "b" and source.startswith('b"', i) and not (i and source[i - 1].isalnum())):
            i += 1 if c == '"' else 2
            while i < n and source[i] != '"':
                if source[i] == "\n":
                    out.append("\n")
                i += 2 if source[i] == "\\" else 1
            out.append('""')
            i += 1
        elif c == "'":
            m = re.match(r"'(\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^\\'])'", source[i:], re.S)
            if m:
                out.append("' '")
                i += len(m.group(0))
            else:  # a lifetime
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def matching(text, open_at):
    """The index just past the brace, bracket or paren closing the one at open_at."""
    pairs = {"{": "}", "[": "]", "(": ")"}
    stack = []
    for k in range(open_at, len(text)):
        if text[k] in pairs:
            stack.append(pairs[text[k]])
        elif stack and text[k] == stack[-1]:
            stack.pop()
            if not stack:
                return k + 1
    return len(text)


def drop_tests(text):
    """The text without items marked #[cfg(test)]."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]", text)
        if not m:
            return text
        k = m.end()
        # Skip further attributes, then the item up to its `;` or its block.
        while True:
            a = re.match(r"\s*#\[", text[k:])
            if not a:
                break
            k = matching(text, k + a.end() - 1)
        semi = text.find(";", k)
        brace = text.find("{", k)
        if brace < 0 or (0 <= semi < brace):
            end = semi + 1
        else:
            end = matching(text, brace)
        text = text[: m.start()] + "\n" * text.count("\n", m.start(), end) + text[end:]


def expand(tree):
    """`a::{b, c::{d, e}}` to ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"as\w+$", "", tree)] if tree else []
    prefix, inner = tree[:brace], tree[brace + 1 : matching(tree, brace) - 1]
    parts, depth, start = [], 0, 0
    for k, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:k])
            start = k + 1
    parts.append(inner[start:])
    result = []
    for part in parts:
        for path in expand(part):
            result.append(prefix + path if path != "self" else prefix.rstrip(":"))
    return result


def modules(src):
    """Each file under src to its module path (a tuple of names)."""
    found = {}
    for path in sorted(src.rglob("*.rs")):
        rel = path.relative_to(src).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "mod":
            parts.pop()
        if parts in (["lib"], ["main"]):
            # With both, main.rs is a binary crate of its own using the library.
            if parts == ["main"] and (src / "lib.rs").exists():
                continue
            parts = []
        found[tuple(parts)] = path
    return found


def references(text, here):
    """The absolute paths (tuples) that text, in module `here`, names.

    Inline `mod name { ... }` blocks are followed so that `super::` resolves."""
    found = []
    stack = []  # (closing index, module path)
    inline = [(m.end() - 1, m.group(1)) for m in re.finditer(r"\bmod\s+(\w+)\s*\{", text)]
    closes = {}
    for brace, name in inline:
        closes[brace] = (matching(text, brace), name)

    def module_at(pos):
        path = list(here)
        for brace, (end, name) in closes.items():
            if brace < pos < end:
                path.append(name)
        return tuple(path)

    uses = [(m.start(), m.group(1)) for m in re.finditer(r"\buse\s+([^;]*);", text)]
    paths = []
    for pos, tree in uses:
        for p in expand(tree):
            paths.append((pos, p))
    for m in re.finditer(r"(?<![\w:])((?:crate|super|self)(?:::\w+)+)", text):
        paths.append((m.start(), m.group(1)))
    for pos, p in paths:
        segs = [s for s in p.split("::") if s]
        if not segs or segs[0] not in ("crate", "super", "self"):
            continue
        base = list(module_at(pos))
        if segs[0] == "crate":
            base, segs = [], segs[1:]
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super" and base:
                base.pop()
            segs = segs[1:]
        found.append(tuple(base + segs))
    return found


def graph(crate, tests):
    src = crate / "src"
    mods = modules(src)
    texts = {}
    for mod, path in mods.items():
        text = strip(path.read_text())
        texts[mod] = text if tests else drop_tests(text)
    # A module only exists when its parent declares it (outside test code).
    live = {()}
    changed = True
    while changed:
        changed = False
        for mod in mods:
            if mod not in live and mod[:-1] in live:
                if re.search(r"\bmod\s+%s\s*[;{]" % re.escape(mod[-1]), texts[mod[:-1]]):
                    live.add(mod)
                    changed = True
    # Names the crate root re-exports, to the module each comes from.
    reexports = {}
    for root in [m for m in mods if m == ()]:
        for m in re.finditer(r"\bpub\s+use\s+([^;]*);", texts[root]):
            for p in expand(m.group(1)):
                segs = [s for s in p.split("::") if s and s != "crate"]
                if len(segs) >= 2 and segs[0] not in ("super", "self"):
                    reexports[segs[-1]] = tuple(segs[:-1])

    def owner(path):
        if len(path) == 1 and path not in live and path[0] in reexports:
            path = reexports[path[0]]
        while path not in live:
            path = path[:-1]
        return path

    edges = {m: set() for m in live}
    for mod in live:
        for child in live:
            if len(child) == len(mod) + 1 and child[:-1] == mod:
                edges[mod].add(child)
        for path in references(texts[mod], mod):
            target = owner(path)
            if target != mod and target != mod[: len(target)]:
                edges[mod].add(target)
    return edges


def cycles(edges):
    """Strongly connected groups of more than one node (Tarjan)."""
    index, low, on, stack, groups = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def one_cycle(edges, group):
    """A shortest cycle through the group's first node."""
    start, members = group[0], set(group)
    paths, queue = {start: [start]}, [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(edges[v]):
            if w == start:
                return paths[v] + [start]
            if w in members and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return group


def name(mod):
    return "::".join(mod) or "crate"


def main(argv):
    tests = "--tests" in argv
    show = "--edges" in argv
    crates = [Path(a) for a in argv if not a.startswith("--")]
    if not crates:
        crates = sorted(p for p in (ROOT / "crates").iterdir() if (p / "src").is_dir())
    found = 0
    for crate in crates:
        edges = graph(crate, tests)
        if show:
            for v in sorted(edges):
                for w in sorted(edges[v]):
                    print(f"{crate.name}: {name(v)} -> {name(w)}")
        groups = cycles(edges)
        for group in groups:
            found += 1
            cycle = " -> ".join(name(m) for m in one_cycle(edges, group))
            print(f"{crate.name}: circle among {', '.join(name(m) for m in group)}: {cycle}")
        if not groups:
            print(f"{crate.name}: no circles")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
