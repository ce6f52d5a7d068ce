"""Patch flavours the API server accepts, and server-side apply's field ownership.

Server-side apply is modelled on leaf paths: every scalar or list in an applied configuration is
one field (lists are atomic, as for most CRD fields), owned by the managers that set it. A
manager re-applying without a field it owned removes that field unless another manager owns it
too; setting a field another manager owns to a different value is a conflict (409) unless
``force=true``, which moves ownership. managedFields is rendered in the FieldsV1 format.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, bad_request

Path = tuple[str, ...]

# Fields an applier never owns: identity and server-managed metadata.
_UNOWNED_METADATA = {
    "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
    "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (and strategic merge for maps, which behaves the same)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def json_patch(target: Any, ops: Any) -> Any:
    """RFC 6902 JSON patch: add, remove, replace, test, move, copy."""
    if not isinstance(ops, list):
        raise bad_request("json patch must be a list of operations")
    doc = copy.deepcopy(target)

    def parent(d: Any, parts: list[str]) -> tuple[Any, str]:
        cur = d
        for p in parts[:-1]:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur, parts[-1]

    def get(d: Any, parts: list[str]) -> Any:
        cur = d
        for p in parts:
            cur = cur[int(p)] if isinstance(cur, list) else cur[p]
        return cur

    for op in ops:
        try:
            kind, parts = op["op"], _pointer(op["path"])
            if kind in ("add", "replace"):
                value = copy.deepcopy(op["value"])
                if not parts:
                    doc = value
                    continue
                container, last = parent(doc, parts)
                if isinstance(container, list):
                    idx = len(container) if last == "-" else int(last)
                    if kind == "add":
                        container.insert(idx, value)
                    else:
                        container[idx] = value
                else:
                    if kind == "replace" and last not in container:
                        raise ApiError(
                            422, f"replace operation does not apply: doc is missing key: {op['path']}", "Invalid")
                    container[last] = value
            elif kind == "remove":
                container, last = parent(doc, parts)
                if isinstance(container, list):
                    del container[int(last)]
                else:
                    del container[last]
            elif kind == "test":
                if get(doc, parts) != op["value"]:
                    raise ApiError(422, f"testing value {op['path']} failed", "Invalid")
            elif kind in ("move", "copy"):
                src = _pointer(op["from"])
                value = copy.deepcopy(get(doc, src))
                if kind == "move":
                    container, last = parent(doc, src)
                    if isinstance(container, list):
                        del container[int(last)]
                    else:
                        del container[last]
                container, last = parent(doc, parts)
                if isinstance(container, list):
                    container.insert(len(container) if last == "-" else int(last), value)
                else:
                    container[last] = value
            else:
                raise bad_request(f"unknown json patch operation {kind!r}")
        except (KeyError, IndexError, ValueError, TypeError) as e:
            if isinstance(e, ApiError):
                raise
            raise ApiError(422, f"json patch operation {op!r} does not apply: {e}", "Invalid") from None
    return doc


def leaf_paths(obj: Any, prefix: Path = ()) -> dict[Path, Any]:
    """Owned fields of an applied configuration: path -> value (maps recurse; lists are atomic)."""
    out: dict[Path, Any] = {}
    if isinstance(obj, dict) and (obj or not prefix):
        for k, v in obj.items():
            if not prefix and k in ("apiVersion", "kind", "status"):
                continue
            if prefix == ("metadata",) and k in _UNOWNED_METADATA:
                continue
            out.update(leaf_paths(v, prefix + (k,)))
    elif prefix:
        out[prefix] = obj
    return out


def get_path(obj: Any, path: Path) -> tuple[bool, Any]:
    cur = obj
    for p in path:
        if not isinstance(cur, dict) or p not in cur:
            return False, None
        cur = cur[p]
    return True, cur


def remove_path(obj: dict, path: Path) -> None:
    """Removes a field and any maps it leaves empty on the way up."""
    stack = []
    cur: Any = obj
    for p in path[:-1]:
        if not isinstance(cur, dict) or p not in cur:
            return
        stack.append((cur, p))
        cur = cur[p]
    if isinstance(cur, dict):
        cur.pop(path[-1], None)
    for container, key in reversed(stack):
        if isinstance(container.get(key), dict) and not container[key] and key != "metadata":
            del container[key]
        else:
            break


def set_path(obj: dict, path: Path, value: Any) -> None:
    cur = obj
    for p in path[:-1]:
        if not isinstance(cur.get(p), dict):
            cur[p] = {}
        cur = cur[p]
    cur[path[-1]] = copy.deepcopy(value)


def _overlaps(a: Path, b: Path) -> bool:
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def fields_v1(paths: set[Path]) -> dict:
    tree: dict = {}
    for path in sorted(paths):
        cur = tree
        for p in path:
            cur = cur.setdefault(f"f:{p}", {})
    return tree


class FieldOwnership:
    """Which manager owns which leaf paths of one object. Keys are (manager, operation)."""

    def __init__(self) -> None:
        self.owners: dict[tuple[str, str], set[Path]] = {}
        self.times: dict[tuple[str, str], str] = {}
        self.api_versions: dict[tuple[str, str], str] = {}

    def apply(self, live: dict | None, config: dict, manager: str, force: bool, when: str) -> dict:
        """Returns the new object (without server metadata); raises 409 on conflicts."""
        applied = leaf_paths(config)
        key = (manager, "Apply")
        base = copy.deepcopy(live) if live is not None else {}
        conflicts: list[tuple[str, Path]] = []
        for other, owned in self.owners.items():
            if other == key:
                continue
            for path in applied:
                for owned_path in owned:
                    if not _overlaps(path, owned_path):
                        continue
                    present, current = get_path(base, owned_path)
                    if path == owned_path and present and current == applied[path]:
                        continue  # shared ownership of an equal value is not a conflict
                    conflicts.append((other[0], owned_path))
        if conflicts and not force:
            unique = sorted(set(conflicts))
            causes = [
                {"reason": "FieldManagerConflict", "message": f'conflict with "{m}"',
                 "field": "." + ".".join(p)}
                for m, p in unique
            ]
            n = len(unique)
            raise ApiError(
                409,
                f"Apply failed with {n} conflict{'s' if n != 1 else ''}: "
                + "; ".join(f'{c["message"]}: {c["field"]}' for c in causes),
                "Conflict",
                {"causes": causes},
            )
        if force:
            for m, p in conflicts:
                for other in self.owners:
                    if other[0] == m and other != key:
                        self.owners[other] = {q for q in self.owners[other] if not _overlaps(q, p)}
        previously = self.owners.get(key, set())
        for path in previously - set(applied):
            if not any(path in owned for other, owned in self.owners.items() if other != key):
                remove_path(base, path)
        for path, value in applied.items():
            set_path(base, path, value)
        self.owners[key] = set(applied)
        self.times[key] = when
        self.api_versions[key] = config.get("apiVersion", "")
        self._drop_empty()
        return base

    def record_update(self, before: dict | None, after: dict, manager: str, api_version: str, when: str) -> None:
        """An Update (create, merge/json patch, replace) owns the leaf fields it changed."""
        old = leaf_paths(before or {})
        new = leaf_paths(after)
        changed = {p for p, v in new.items() if old.get(p, object()) != v}
        removed = set(old) - set(new)
        key = (manager, "Update")
        for other in self.owners:
            if other != key:
                self.owners[other] = {
                    q for q in self.owners[other]
                    if not any(_overlaps(q, p) for p in changed) and q not in removed
                }
        if changed:
            self.owners[key] = (self.owners.get(key, set()) - removed) | changed
            self.times[key] = when
            self.api_versions[key] = api_version
        self._drop_empty()

    def _drop_empty(self) -> None:
        for k in [k for k, v in self.owners.items() if not v]:
            del self.owners[k]

    def managed_fields(self) -> list[dict]:
        return [
            {
                "manager": manager,
                "operation": op,
                "apiVersion": self.api_versions.get((manager, op), ""),
                "time": self.times.get((manager, op), ""),
                "fieldsType": "FieldsV1",
                "fieldsV1": fields_v1(paths),
            }
            for (manager, op), paths in sorted(self.owners.items())
        ]
