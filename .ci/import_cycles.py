"""Fails if the modules of mdm-core import each other in a cycle.

A cycle (a imports b, b imports a, perhaps through others) means two modules cannot be read or
changed apart; issue 17 removed an 18-file one. This reads `crate::` paths in every source file
of shared/core/src (tests excluded), maps each to the module that defines it, and reports every
strongly connected component of more than one module. A folder module and its own submodules
(`super::`) are one unit and are not counted.

Usage: python3 .ci/import_cycles.py [crate src dir]   (default shared/core/src)
"""

import collections
import os
import re
import sys

src_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "..", "shared", "core", "src"
)

sources = {}
for root, _, names in os.walk(src_dir):
    for name in names:
        if name.endswith(".rs"):
            path = os.path.join(root, name)
            module = os.path.relpath(path, src_dir)[:-3]
            if module.endswith("/mod") or module == "mod":
                module = module[:-4] if module != "mod" else ""
            if module == "lib":
                module = ""
            with open(path, encoding="utf-8") as f:
                # Test modules may import anything: they are not part of the module graph.
                sources[module] = f.read().split("#[cfg(test)]")[0]

modules = set(sources)


def defining_module(path):
    parts = path.split("::")
    for i in range(len(parts), 0, -1):
        candidate = "/".join(parts[:i])
        if candidate in modules:
            return candidate
    return None


graph = collections.defaultdict(set)
for module, text in sources.items():
    refs = [m.group(1) for m in re.finditer(r"crate::([a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*)", text)]
    for group in re.finditer(r"use crate::\{([^;]*)\};", text, re.S):
        refs += [p.strip("{} \n").split("::{")[0] for p in re.split(r",\s*(?![^{]*\})", group.group(1))]
    for ref in refs:
        target = defining_module(ref.strip())
        if target is None or target == module:
            continue
        if module.startswith(target + "/") or target.startswith(module + "/"):
            continue
        graph[module].add(target)

# Tarjan's strongly connected components, iteratively.
index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], 0
for root in sorted(modules):
    if root in index:
        continue
    work = [(root, iter(sorted(graph[root])))]
    index[root] = low[root] = counter
    counter += 1
    stack.append(root)
    on_stack.add(root)
    while work:
        node, children = work[-1]
        child = next(children, None)
        if child is not None:
            if child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[node])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

print(f"{len(modules)} modules, {sum(len(v) for v in graph.values())} imports between them, "
      f"{len(components)} cycles")
for component in components:
    print("cycle:", " <-> ".join(component))
sys.exit(1 if components else 0)
