#!/usr/bin/env python3
"""Keeps the source tree's structure true: reads the #include lines of core/, ui/ and app/ and fails
on an include against the subsystem order or on a circle between files, naming the file and line.

  check-include-order.py [ROOT]      check the tree at ROOT (default: this file's project)
  check-include-order.py --self-test copy the tree, break it on purpose, and expect each break caught

The order, lowest first: core/base; core/nn and core/data (side by side, neither sees the other);
core/train; core/chart; core/formats; core/experiment; ui; app. A folder includes only itself and
what lies below it.

A circle is found between .c files: a file needs another when it calls a function that the other
defines, declared in a header it includes. Two files that call each other form a circle even when
each only includes a shared private header."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BELOW = {
    "core/base": [],
    "core/nn": ["core/base"],
    "core/data": ["core/base"],
    "core/train": ["core/nn", "core/data"],
    "core/chart": ["core/train"],
    "core/formats": ["core/chart"],
    "core/experiment": ["core/formats"],
    "ui": ["core/experiment"],
    "app": ["ui"],
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
DECLARED = re.compile(r"\b(tl_[a-z0-9_]+)\s*\(")
DEFINED = re.compile(r"^(tl_[a-z0-9_]+)\s*\(", re.M)
DECLARED_VAR = re.compile(r"\bextern\b[^;(]*?\b(tl_[a-z0-9_]+)\s*(?:\[[^]]*\])?\s*;")
DEFINED_VAR = re.compile(r"^(?!static)[a-z][^;(=\n]*?\b(tl_[a-z0-9_]+)\s*(?:\[[^]]*\])?\s*=", re.M)


def visible(folder):
    seen, todo = {folder}, [folder]
    while todo:
        for lower in BELOW[todo.pop()]:
            if lower not in seen:
                seen.add(lower)
                todo.append(lower)
    return seen


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def scan(root):
    files = {}
    for folder in BELOW:
        base = os.path.join(root, folder)
        if not os.path.isdir(base):
            continue
        for name in sorted(os.listdir(base)):
            if name.endswith((".c", ".h")):
                files[f"{folder}/{name}"] = folder
    return files


def check(root):
    files = scan(root)
    problems = []
    by_name = {}
    for path in files:
        name = os.path.basename(path)
        if name in by_name and name.endswith(".h"):
            problems.append(f"{path}: header name also used by {by_name[name]}")
        by_name.setdefault(name, path)

    text = {p: strip_comments(open(os.path.join(root, p), encoding="utf-8").read()) for p in files}
    includes = {}
    for path, folder in files.items():
        allowed = visible(folder)
        includes[path] = []
        for lineno, line in enumerate(text[path].splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or os.path.basename(m.group(1)) not in by_name:
                continue  # config.h, generated resources, system headers
            target = by_name[os.path.basename(m.group(1))]
            includes[path].append((lineno, target))
            if files[target] not in allowed:
                problems.append(f"{path}:{lineno}: includes {target}, but {folder} may include only "
                                f"{', '.join(sorted(allowed))}")

    definer = {}
    for path in files:
        if path.endswith(".c"):
            for fn in DEFINED.findall(text[path]) + DEFINED_VAR.findall(text[path]):
                definer.setdefault(fn, path)

    declared = {p: set(DECLARED.findall(text[p]) + DECLARED_VAR.findall(text[p]))
                for p in files if p.endswith(".h")}
    used = {p: set(re.findall(r"\btl_[a-z0-9_]+\b", text[p])) for p in files if p.endswith(".c")}

    def reachable(header, seen):
        if header not in seen:
            seen.add(header)
            for _, target in includes[header]:
                reachable(target, seen)
        return seen

    edges = {}
    for path in used:
        for lineno, header in includes[path]:
            for h in reachable(header, set()):
                for fn in declared.get(h, ()) & used[path]:
                    dst = definer.get(fn)
                    if dst and dst != path:
                        edges.setdefault(path, {}).setdefault(dst, (path, lineno, header))

    for circle in find_circles(edges):
        steps = []
        for a, b in zip(circle, circle[1:] + circle[:1]):
            where, lineno, header = edges[a][b]
            steps.append(f"{a} calls into {b} (through {where}:{lineno}, {header})")
        problems.append("circle: " + "; ".join(steps))
    return problems


def find_circles(edges):
    """One circle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, {})):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(shortest_cycle(edges, set(component)))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def shortest_cycle(edges, component):
    start = min(component)
    paths, frontier = {start: [start]}, [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(edges.get(v, {})):
                if w == start:
                    return paths[v]
                if w in component and w not in paths:
                    paths[w] = paths[v] + [w]
                    nxt.append(w)
        frontier = nxt
    return sorted(component)


def self_test(root):
    """Breaks copies of the tree in two ways and expects the check to name each break."""
    def broken(edit):
        tmp = tempfile.mkdtemp()
        try:
            for folder in BELOW:
                if os.path.isdir(os.path.join(root, folder)):
                    shutil.copytree(os.path.join(root, folder), os.path.join(tmp, folder))
            edit(tmp)
            return check(tmp)
        finally:
            shutil.rmtree(tmp)

    def add_line(tmp, path, line):
        full = os.path.join(tmp, path)
        with open(full, encoding="utf-8") as f:
            lines = f.read().splitlines(True)
        at = max(i for i, l in enumerate(lines) if INCLUDE.match(l)) + 1
        lines.insert(at, line + "\n")
        with open(full, "w", encoding="utf-8") as f:
            f.writelines(lines)
        return at + 1

    clean = check(root)
    if clean:
        return [f"the tree itself fails: {p}" for p in clean]
    failures = []

    lineno = []
    found = broken(lambda t: lineno.append(add_line(t, "core/base/tl-tensor.c", '#include "tl-model.h"')))
    want = f"core/base/tl-tensor.c:{lineno[0]}: includes core/nn/tl-model.h"
    if not any(p.startswith(want) for p in found):
        failures.append(f"an upward include was not caught (expected '{want}', got {found})")

    def make_circle(tmp):
        # gemm.c runs its blocks with tl_parallel_for; make parallel.c call back into gemm.c
        add_line(tmp, "core/base/tl-parallel.c",
                 '#include "tl-gemm.h"\nstatic void *selftest_use = (void *) tl_sgemm;')
    found = broken(make_circle)
    if not any(p.startswith("circle:") and "core/base/tl-parallel.c" in p and "core/base/tl-gemm.c" in p
               for p in found):
        failures.append(f"a circle was not caught: {found}")
    return failures


def main():
    args = sys.argv[1:]
    testing = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    root = args[0] if args else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    problems = self_test(root) if testing else check(root)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("include order: ok" if not testing else "include order self-test: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
