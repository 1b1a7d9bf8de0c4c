"""Session operations: each one applies to a Tree, and replays at save with conflict checks.

An operation captures what it decided when the client called it (resolved types, auto-created
values such as `jcr:uuid`, what it saw as the base value), so replaying it on the latest state
at save gives the same result, or a ConcurrentModification where spec §10.4 says the two sides
conflict.
"""

from __future__ import annotations

import uuid as _uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from repo_server.errors import (
    ConcurrentModification,
    ConstraintViolation,
    NodeExists,
    NodeNotFound,
    ProtectedItem,
)
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.changes import Change
from repo_server.model.node import Node
from repo_server.model.values import Property, PropertyType, convert_property, new_record
from repo_server.nodetypes import check_constraints
from repo_server.session.tree import TNode, Tree

if TYPE_CHECKING:
    from repo_server.nodetypes import NodeTypeRegistry


def new_uuid() -> str:
    """A time-ordered (UUIDv7-style) identifier, for index locality (spec §3.2)."""
    import os
    import time

    ms = int(time.time() * 1000)
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80 | (0x7 << 76) | ((rand >> 62) & 0xFFF) << 64
    value |= (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(_uuid.UUID(int=value))


@dataclass
class OpContext:
    registry: NodeTypeRegistry
    user_id: str
    now: datetime
    replay: bool = False


class Operation(Protocol):
    def apply(self, tree: Tree, ctx: OpContext) -> None: ...


def _conflict(message: str, path: str) -> ConcurrentModification:
    return ConcurrentModification(f"{message}; refresh and try again", path=path)


def _existing(tree: Tree, path: str, ctx: OpContext) -> TNode | Node:
    """The node an operation works on; at replay, its absence means another session removed it."""
    found = tree.get(path)
    if found is None:
        if ctx.replay:
            raise _conflict(f"{path} was removed by another session", path)
        raise NodeNotFound(f"no node at {path}", path=path)
    return found


def autocreated_properties(
    registry: NodeTypeRegistry,
    primary: str,
    mixins: list[str],
    existing: dict[str, Property],
    user_id: str,
    now: datetime,
) -> dict[str, Property]:
    """Values of the auto-created properties (spec §7.6) that `existing` does not have yet."""
    eff = registry.effective(primary, mixins)
    out: dict[str, Property] = {}
    for defn in eff.autocreated_properties:
        name = defn.name
        if name in existing or name in (N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES) or name == "*":
            continue
        if defn.default_values:
            out[name] = Property(
                defn.required_type if defn.required_type else PropertyType.STRING,
                defn.multiple,
                tuple(defn.default_values),
            )
        elif name == N.JCR_UUID:
            out[name] = Property(PropertyType.STRING, False, (new_uuid(),))
        elif name in (N.JCR_CREATED, N.JCR_LAST_MODIFIED):
            out[name] = Property(PropertyType.DATE, False, (now,))
        elif name in (N.JCR_CREATED_BY, N.JCR_LAST_MODIFIED_BY):
            out[name] = Property(PropertyType.STRING, False, (user_id,))
        elif name == N.JCR_IS_CHECKED_OUT:
            out[name] = Property(PropertyType.BOOLEAN, False, (True,))
    return out


def _current_types(found: TNode | Node) -> tuple[str, list[str]]:
    if isinstance(found, TNode):
        return found.primary, list(found.mixins)
    return found.primary_type, list(found.mixins)


@dataclass(slots=True)
class AddNode:
    """Add a node; `primary` None means the parent's default child type (spec §7.5)."""

    path: str
    primary: str | None
    mixins: list[str] = field(default_factory=list)
    props: dict[str, Property] = field(default_factory=dict)
    # Auto-created child nodes, set by `resolve`. A tuple, empty by default: imports make an
    # AddNode per node, and nearly all have none.
    children: tuple[AddNode, ...] = ()
    resolved: bool = False

    def resolve(self, tree: Tree, ctx: OpContext) -> None:
        parent = tree.require(P.parent(self.path))
        ptype, pmixins = _current_types(parent)
        eff = ctx.registry.effective(ptype, pmixins)
        name = P.name(self.path)
        _, primary = eff.child_definition(name, self.primary)
        if eff.is_protected_child(name):
            raise ProtectedItem(f"child node {self.path} is protected", path=self.path)
        self.primary = primary
        ctx.registry.check_primary(primary)
        for mixin in self.mixins:
            ctx.registry.check_mixin(mixin)
        self.props.update(
            autocreated_properties(
                ctx.registry, primary, self.mixins, self.props, ctx.user_id, ctx.now
            )
        )
        own = ctx.registry.effective(primary, self.mixins)
        self.children = tuple(
            AddNode(P.join(self.path, cdef.name), cdef.default_type)
            for cdef in own.autocreated_children
            if cdef.name != "*"
        )
        self.resolved = True

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        if not self.resolved:
            self.resolve(tree, ctx)
        assert self.primary is not None
        try:
            tree.add(self.path, self.primary, list(self.mixins), dict(self.props))
        except (NodeExists, NodeNotFound) as exc:
            if ctx.replay:
                raise _conflict(f"cannot add {self.path}: {exc.message}", self.path) from exc
            raise
        for child in self.children:
            child.apply(tree, ctx)


_UNSEEN: Any = object()


@dataclass
class SetProperty:
    """Set (or with `prop` None remove) one property; `expected` is the value the session saw."""

    path: str
    name: str
    prop: Property | None
    expected: Property | None = _UNSEEN

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        found = _existing(tree, self.path, ctx)
        current = found.props.get(self.name) if isinstance(found, TNode) else found.get(self.name)
        if self.expected is _UNSEEN:
            self.expected = current
        elif ctx.replay and current != self.expected and current != self.prop:
            raise _conflict(
                f"property {self.name} of {self.path} was changed by another session", self.path
            )
        try:
            tree.set_property(self.path, self.name, self.prop)
        except NodeExists as exc:
            if ctx.replay:
                raise _conflict(exc.message, self.path) from exc
            raise


@dataclass
class SetTypes:
    """Change the primary type and/or the mixins, with the auto-created items that follow."""

    path: str
    primary: str | None
    mixins: list[str] | None
    added: dict[str, Property] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    expected: tuple[str, list[str]] | None = None

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        found = _existing(tree, self.path, ctx)
        current = _current_types(found)
        if self.expected is None:
            self.expected = current
            primary = self.primary or current[0]
            mixins = self.mixins if self.mixins is not None else current[1]
            ctx.registry.check_primary(primary)
            for mixin in mixins:
                ctx.registry.check_mixin(mixin)
            eff = ctx.registry.effective(primary, mixins)  # invalid combinations fail here
            props = dict(found.props) if isinstance(found, TNode) else dict(found.properties)
            self.added = autocreated_properties(
                ctx.registry, primary, mixins, props, ctx.user_id, ctx.now
            )
            # Protected items no definition covers any more go with the type (spec §7.10):
            # the repository wrote them under a named definition, so a residual one (such as
            # nt:unstructured's `*`) does not keep them (jcr:uuid goes with mix:referenceable).
            old = ctx.registry.effective(*current)
            for pname in props:
                if old.is_protected_property(pname) and not any(
                    d.name == pname for d in eff.property_definitions(pname)
                ):
                    self.dropped.append(pname)
        elif ctx.replay and current != self.expected:
            raise _conflict(f"the types of {self.path} were changed by another session", self.path)
        tree.set_types(self.path, self.primary, self.mixins)
        for pname in self.dropped:
            tree.set_property(self.path, pname, None)
        for pname, prop in self.added.items():
            tree.set_property(self.path, pname, prop)


@dataclass
class Remove:
    path: str
    seen_revision: int | None = None

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        found = _existing(tree, self.path, ctx)
        if self.seen_revision is None:
            self.seen_revision = (
                found.base.revision
                if isinstance(found, TNode) and found.base
                else (found.revision if isinstance(found, Node) else 0)
            )
        elif ctx.replay and isinstance(found, Node) and found.revision > self.seen_revision:
            raise _conflict(f"{self.path} was changed by another session", self.path)
        tree.remove(self.path)


@dataclass
class Move:
    source: str
    destination: str

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        try:
            tree.move(self.source, self.destination)
        except (NodeExists, NodeNotFound) as exc:
            if ctx.replay:
                raise _conflict(f"cannot move {self.source}: {exc.message}", self.source) from exc
            raise


@dataclass
class Order:
    path: str
    before: str | None
    siblings: list[str] | None = None

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        parent = P.parent(self.path)
        try:
            names = tree.child_names(parent)
        except NodeNotFound as exc:
            if ctx.replay:
                raise _conflict(f"{parent} was removed by another session", parent) from exc
            raise
        found = tree.require(parent)
        ptype, pmixins = _current_types(found)
        if not ctx.registry.effective(ptype, pmixins).orderable:
            # JCR: orderBefore on a parent without orderable child nodes is unsupported (§6.2).
            raise ConstraintViolation(
                f"the children of {parent} ({ptype}) are not orderable", path=self.path
            )
        if self.siblings is None:
            self.siblings = names
        elif ctx.replay and sorted(names) != sorted(self.siblings):
            raise _conflict(f"the children of {parent} changed concurrently", parent)
        tree.order_before(self.path, self.before)


@dataclass
class Copy:
    """Copy a subtree; the copies get new identifiers, internal references follow them."""

    source: str
    destination: str
    nodes: list[AddNode] | None = None

    def capture(self, tree: Tree, ctx: OpContext) -> list[AddNode]:
        root = tree.require(self.source)
        root_node = root.snapshot() if isinstance(root, TNode) else root
        captured: list[tuple[str, Node]] = []

        def walk(node: Node, dest: str) -> None:
            captured.append((dest, node))
            for child in tree.children(node.path):
                walk(child, P.join(dest, child.name))

        walk(root_node, self.destination)
        remap: dict[str, str] = {}
        for _, node in captured:
            old = node.uuid
            if old is not None:
                remap[old] = new_uuid()
        out: list[AddNode] = []
        for dest, node in captured:
            props: dict[str, Property] = {}
            for pname, prop in node.properties.items():
                if pname == N.JCR_UUID and node.uuid is not None:
                    props[pname] = Property(PropertyType.STRING, False, (remap[node.uuid],))
                elif prop.type in (PropertyType.REFERENCE, PropertyType.WEAKREFERENCE):
                    props[pname] = Property(
                        prop.type, prop.multiple, tuple(remap.get(str(v), v) for v in prop.values)
                    )
                else:
                    props[pname] = prop
            op = AddNode(dest, node.primary_type, list(node.mixins), props)
            op.resolved = True
            out.append(op)
        return out

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        if P.is_same_or_descendant(self.destination, self.source):
            from repo_server.errors import MoveIntoDescendant

            raise MoveIntoDescendant(
                f"cannot copy {self.source} into its own subtree", source=self.source
            )
        if self.nodes is None:
            self.nodes = self.capture(tree, ctx)
        first = True
        for op in self.nodes:
            try:
                op.apply(tree, ctx)
            except ConcurrentModification:
                raise
            if first:
                first = False
        # the per-node "created" changes are replaced by one "copied" change
        created = {op.path for op in self.nodes}
        tree.changes[:] = [
            c for c in tree.changes if not (c.kind == "created" and c.path in created)
        ]
        from repo_server.model.changes import Change

        tree.changes.append(Change("copied", self.source, self.destination))


def check_not_protected(registry: NodeTypeRegistry, node: Node | TNode, name: str) -> None:
    """Clients may not set or remove protected properties (spec §7.7)."""
    if name in (N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES):
        raise ProtectedItem(f"{name} is set through the node's types", name=name)
    primary, mixins = _current_types(node)
    if registry.effective(primary, mixins).is_protected_property(name):
        raise ProtectedItem(f"property {name} is protected", name=name)


def check_writable_path(path: str) -> None:
    if P.is_same_or_descendant(path, "/jcr:system"):
        raise ConstraintViolation("content under /jcr:system is protected", path=path)


@dataclass
class _TypePlan:
    """What every new node of one (primary type, mixins) needs: computed once per import."""

    effective: Any
    autocreated: list[tuple[str, Property | None]]  # None: a repository-supplied value
    mandatory: tuple[str, ...]
    mandatory_children: tuple[str, ...]
    autocreated_children: tuple[tuple[str, str | None], ...]
    takes_all: bool  # effective.residual_takes_all and .named_properties, copied here:
    named: frozenset[str]  # the hot loop reads them once per node
    # property name -> (type, multiple, stored type, definition with value constraints or None)
    checks: dict[str, tuple[PropertyType, bool, PropertyType, Any]] = field(default_factory=dict)

    def check(
        self, name: str, prop: Property, path: str
    ) -> tuple[PropertyType, bool, PropertyType, Any]:
        """What a property of this name, type and arity needs (remembered for the next node);
        raises when no definition allows it or it is protected."""
        found = self.effective.property_definition(name, prop.type, prop.multiple)
        if found is None:
            raise ConstraintViolation(
                f"no definition of {self.effective.primary} allows the property {name} at {path}",
                path=path,
                property=name,
            )
        defn, target = found
        if defn.protected:
            raise ProtectedItem(f"property {name} is protected", name=name, path=path)
        check = (prop.type, prop.multiple, target, defn if defn.constraints else None)
        self.checks[name] = check
        return check


class NewNode(Protocol):
    """An item of ImportTree: where the node goes, its types and properties (ImportTree fills
    in the generated values)."""

    path: str
    primary: str | None
    mixins: list[str]
    props: dict[str, Property]


@dataclass
class ImportTree:
    """Add a batch of new nodes (bulk loads), parents before children.

    One operation resolves, validates and adds many nodes in a single pass, with per-type work
    (effective type, auto-created items, mandatory items) done once per type instead of once
    per node: a bulk load spends its time here (docs/PERFORMANCE.md). The nodes it makes are
    marked validated, so the commit's validation pass skips them. Values generated here
    (`jcr:uuid`, `jcr:created`) are written back into the items, so a replay is identical.
    Use it in queued sessions (`ContentSession.queue`); nothing else may touch its nodes in
    the same save.
    """

    items: Sequence[NewNode]  # ImportedNode (content.py), or AddNode operations themselves

    def apply(self, tree: Tree, ctx: OpContext) -> None:
        # The hot loop of bulk loads: per-type and per-property work is cached in the plans,
        # parents' effective types with the parents, so a node costs a few dict lookups.
        registry = ctx.registry
        plans: dict[object, _TypePlan] = {}
        parents: dict[str, tuple[TNode, Any]] = {}
        residual: dict[tuple[Any, str | None], str] = {}
        made: list[TNode] = []
        nodes = tree.nodes
        changes = tree.changes
        for item in self.items:
            path: str = item.path
            cut = path.rfind("/")
            parent_path = path[:cut] if cut > 0 else P.ROOT
            name = path[cut + 1 :]
            known = parents.get(parent_path)
            if known is None:
                parent = self._existing_parent(tree, ctx, parent_path, path)
                known = parents[parent_path] = (
                    parent,
                    registry.effective(parent.primary, parent.mixins),
                )
            elif path in nodes:
                raise NodeExists(f"a node already exists at {path}", path=path)
            parent, peff = known
            if name in peff.named_children:
                _, primary = peff.child_definition(name, item.primary)
                if peff.is_protected_child(name):
                    raise ProtectedItem(f"child node {path} is protected", path=path)
            else:
                # A residual child: its definition depends on the asked type alone (and only
                # named children can be protected), so one look-up serves every sibling.
                rkey = (peff, item.primary)
                primary = residual.get(rkey)
                if primary is None:
                    primary = residual[rkey] = peff.child_definition(name, item.primary)[1]
            mixins: list[str] = item.mixins
            key: object = (primary, *mixins) if mixins else primary
            plan = plans.get(key)
            if plan is None:
                plan = plans[key] = self._plan(registry, primary, mixins)
            props: dict[str, Property] = item.props
            # Under nt:unstructured and the like every property is stored as it is: nothing
            # to look up per property unless one is named by a definition.
            if not (plan.takes_all and plan.named.isdisjoint(props)):
                self._check_properties(plan, props, path)
            for aname, value in plan.autocreated:
                if aname not in props:
                    props[aname] = value if value is not None else _supplied(aname, ctx)
            for mname in plan.mandatory:
                if mname not in props:
                    raise ConstraintViolation(
                        f"mandatory property {mname} of {path} is missing",
                        path=path,
                        property=mname,
                    )
            if name in parent.props:
                raise NodeExists(f"{parent_path} has a property named {name}", path=path)
            t = TNode(path, primary, mixins, props)
            t.checked = True
            nodes[path] = t
            parent.added[name] = None
            parents[path] = (t, plan.effective)
            changes.append(new_record(Change, ("created", path, None)))
            if plan.mandatory_children:
                made.append(t)
            for cname, ctype in plan.autocreated_children:
                AddNode(P.join(path, cname), ctype).apply(tree, ctx)
        for t in made:
            plan = plans[(t.primary, *t.mixins) if t.mixins else t.primary]
            for cname in plan.mandatory_children:
                if not tree.exists(P.join(t.path, cname)):
                    raise ConstraintViolation(
                        f"mandatory child node {cname} of {t.path} is missing",
                        path=t.path,
                        child=cname,
                    )

    @staticmethod
    def _check_properties(plan: _TypePlan, props: dict[str, Property], path: str) -> None:
        """Each property against its definition: converted where the definition asks for
        another type, value constraints checked (the look-ups are remembered in the plan)."""
        checks = plan.checks
        for pname, prop in props.items():
            check = checks.get(pname)
            ptype = prop[0]
            if check is None or check[0] is not ptype or check[1] is not prop[1]:
                check = plan.check(pname, prop, path)
            if check[2] is not ptype:
                props[pname] = prop = convert_property(prop, check[2])
            if check[3] is not None:
                check_constraints(check[3], prop, name=pname)

    @staticmethod
    def _existing_parent(tree: Tree, ctx: OpContext, parent_path: str, path: str) -> TNode:
        try:
            parent = tree.edit(parent_path)
        except NodeNotFound as exc:
            if ctx.replay:
                raise _conflict(f"cannot add {path}: {exc.message}", path) from exc
            raise
        if tree.get(path) is not None:
            if ctx.replay:
                raise _conflict(f"a node already exists at {path}", path)
            raise NodeExists(f"a node already exists at {path}", path=path)
        return parent

    @staticmethod
    def _plan(registry: NodeTypeRegistry, primary: str, mixins: list[str]) -> _TypePlan:
        registry.check_primary(primary)
        for mixin in mixins:
            registry.check_mixin(mixin)
        eff = registry.effective(primary, mixins)
        autocreated: list[tuple[str, Property | None]] = []
        for defn in eff.autocreated_properties:
            name = defn.name
            if name in (N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES, "*"):
                continue
            if defn.default_values:
                autocreated.append(
                    (name, Property(defn.required_type, defn.multiple, tuple(defn.default_values)))
                )
            elif name in _SUPPLIED:
                autocreated.append((name, None))
        mandatory = tuple(
            d.name
            for d in eff.mandatory_properties
            if d.name not in ("*", N.JCR_PRIMARY_TYPE, N.JCR_MIXIN_TYPES)
            and (d.autocreated or not d.protected)
        )
        return _TypePlan(
            effective=eff,
            takes_all=eff.residual_takes_all,
            named=eff.named_properties,
            autocreated=autocreated,
            mandatory=mandatory,
            mandatory_children=tuple(c.name for c in eff.mandatory_children if c.name != "*"),
            autocreated_children=tuple(
                (c.name, c.default_type) for c in eff.autocreated_children if c.name != "*"
            ),
        )


_SUPPLIED: Final = frozenset(
    {
        N.JCR_UUID,
        N.JCR_CREATED,
        N.JCR_LAST_MODIFIED,
        N.JCR_CREATED_BY,
        N.JCR_LAST_MODIFIED_BY,
        N.JCR_IS_CHECKED_OUT,
    }
)


def _supplied(name: str, ctx: OpContext) -> Property:
    """A repository-supplied auto-created value (spec §7.6)."""
    if name == N.JCR_UUID:
        return Property(PropertyType.STRING, False, (new_uuid(),))
    if name in (N.JCR_CREATED, N.JCR_LAST_MODIFIED):
        return Property(PropertyType.DATE, False, (ctx.now,))
    if name in (N.JCR_CREATED_BY, N.JCR_LAST_MODIFIED_BY):
        return Property(PropertyType.STRING, False, (ctx.user_id,))
    return Property(PropertyType.BOOLEAN, False, (True,))
