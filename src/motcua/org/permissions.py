"""Which units an official may see, and who may act where.

A role held in a unit covers that unit's sub-units (a ward official works on the ward's
departments' dossiers). Mergers: the successor of a unit inherits its files, so an official
of the new ward also sees and handles the dossiers still filed under the wards it replaced.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from motcua.core.errors import PermissionDenied
from motcua.org.models import Role, StaffRole, Unit


def _active(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "is_active", False)
    )


def unit_graph() -> tuple[dict[int, int | None], dict[int, list[int]], dict[int, list[int]]]:
    """(parent by unit, children by parent, predecessors by successor): a few hundred rows."""
    parents: dict[int, int | None] = {}
    children: dict[int, list[int]] = {}
    for pk, parent_id in Unit.objects.values_list("pk", "parent_id"):
        parents[pk] = parent_id
        if parent_id is not None:
            children.setdefault(parent_id, []).append(pk)
    predecessors: dict[int, list[int]] = {}
    for from_id, to_id in Unit.successors.through.objects.values_list("from_unit_id", "to_unit_id"):
        predecessors.setdefault(to_id, []).append(from_id)
    return parents, children, predecessors


def _closure(start: Iterable[int], graph: dict[int, list[int]]) -> set[int]:
    seen = set(start)
    frontier = list(seen)
    while frontier:
        for nxt in graph.get(frontier.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return seen


def visible_unit_ids(user: Any) -> set[int]:
    """Ids of the units whose data `user` may see: their units, sub-units and the units those replaced."""
    if not _active(user):
        return set()
    if user.is_superuser:
        return set(Unit.objects.values_list("pk", flat=True))
    own = set(StaffRole.objects.filter(user=user).values_list("unit_id", flat=True))
    if not own:
        return set()
    _, children, predecessors = unit_graph()
    # Predecessors, but not their other sub-units: an old district's wards went to different
    # new wards, each reached through its own successor link.
    return _closure(_closure(own, children), predecessors)


def has_role(user: Any, roles: Iterable[str], unit: Unit) -> bool:
    """Whether `user` holds one of `roles` in `unit` or an ancestor, or in a unit that succeeded `unit`."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    wanted = set(roles)
    held = {
        unit_id
        for unit_id, role in StaffRole.objects.filter(user=user).values_list("unit_id", "role")
        if role in wanted
    }
    if not held:
        return False
    if unit.pk in held:
        return True  # the common case, without reading the unit tree
    parents, _, predecessors = unit_graph()
    successors: dict[int, list[int]] = {}
    for to_id, froms in predecessors.items():
        for from_id in froms:
            successors.setdefault(from_id, []).append(to_id)
    # The unit itself and every unit that took over its files, then their ancestors: the same
    # relation as visible_unit_ids, read from the other end.
    covered: set[int] = set()
    for node in _closure([unit.pk], successors):
        current: int | None = node
        while current is not None and current not in covered:
            covered.add(current)
            current = parents.get(current)
    return bool(held & covered)


def require_role(user: Any, roles: Iterable[str], unit: Unit) -> None:
    """Raise PermissionDenied unless `user` may act with one of `roles` in `unit` (superusers always may)."""
    roles = list(roles)
    if has_role(user, roles, unit):
        return
    labels = " hoặc ".join(Role(r).label.lower() if r in Role.values else r for r in roles)
    raise PermissionDenied(
        f"Bạn không có quyền thực hiện thao tác này tại {unit.name}: cần vai trò {labels} của đơn vị này "
        "hoặc đơn vị cấp trên."
    )
