#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Fails when the modules of src/ include each other in a circle.

A module is a .c file with its .h (src/config.c + src/config.h is "config");
X_internal.h, the header a module's own files share (model_internal.h for
model.c, model_writer.c, model_apply.c), belongs to module X.
An edge A -> B is an `#include "B.h"` in A.c or A.h. Every strongly connected
component of more than one module is a circle: printed with the includes
that close it, and the exit status is 1. Usage: include_cycles.py [SRC_DIR]
(default: src/ next to this script's parent). Checked from the unit tier
(build/tests/test_include_cycles, see the Makefile).
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(src):
    files = {}
    for root, _, names in os.walk(src):
        for name in names:
            if name.endswith(('.c', '.h')):
                path = os.path.join(root, name)
                mod = os.path.relpath(path, src)[:-2]
                if mod.endswith('_internal'):
                    mod = mod[:-len('_internal')]
                files[path] = mod
    return files


def graph(src, files):
    edges = {}  # module -> {module: "file:line" of one include}
    for path, mod in files.items():
        text = open(path, encoding='utf-8', errors='replace').read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            # "x.h" from the file's folder first, then from src/ (-Isrc).
            for base in (os.path.dirname(path), src):
                target = os.path.normpath(os.path.join(base, inc))
                if target in files:
                    dst = files[target]
                    if dst != mod:
                        line = text.count('\n', 0, m.start()) + 1
                        rel = os.path.relpath(path, src)
                        edges.setdefault(mod, {}).setdefault(dst, f'{rel}:{line}')
                    break
    return edges


def components(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, {})))))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                out.append(sorted(comp))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', 'src')
    src = os.path.normpath(src)
    files = modules(src)
    if not files:
        print(f'include_cycles: no .c or .h files under {src}', file=sys.stderr)
        return 2
    edges = graph(src, files)
    circles = [c for c in components(set(files.values()), edges) if len(c) > 1]
    for comp in circles:
        print(f'include circle among {len(comp)} modules of {src}: {", ".join(comp)}')
        for a in comp:
            for b, where in sorted(edges.get(a, {}).items()):
                if b in comp:
                    print(f'  {a} -> {b}  ({where})')
    nmods = len(set(files.values()))
    nedges = sum(len(v) for v in edges.values())
    print(f'include_cycles: {nmods} modules, {nedges} include edges, {len(circles)} circles')
    return 1 if circles else 0


if __name__ == '__main__':
    sys.exit(main())
