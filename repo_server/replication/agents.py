"""Replication agents, configured as content under `/etc/replication/agents.<role>/<name>`.

An agent is a `cq:Page` whose `jcr:content` holds the configuration, as in AEM:
`enabled`, `transportUri`, `transportUser`, `transportPassword` (kept encrypted, see
`crypto.py`), `retryDelay` (ms), `maxRetries` (0 = unlimited), `serializationType`,
`ignoreDefault` and `jcr:title`. A commit hook encrypts a password written in clear (through
the Sling POST servlet, say) before it reaches the store.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from repo_server.config import Settings
from repo_server.model import names as N
from repo_server.model import path as P
from repo_server.model.node import Node
from repo_server.model.values import Property, PropertyType
from repo_server.replication.crypto import PasswordCipher
from repo_server.session.session import Repository
from repo_server.session.tree import Tree
from repo_server.store.base import StoreReader, StoreWriter

log = logging.getLogger(__name__)

ROOT: Final = "/etc/replication"
DEFAULT_AGENT: Final = "publish"
RESOURCE_TYPE: Final = "cq/replication/components/agent"
PASSWORD: Final = "transportPassword"


def agents_root(role: str) -> str:
    return f"{ROOT}/agents.{role}"


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """One agent's configuration (spec §15 `AgentConfig`, the fields we use)."""

    id: str
    name: str
    path: str
    enabled: bool
    transport_uri: str
    transport_user: str
    transport_password: str  # as stored (protected); `AgentManager.password` decrypts
    retry_delay_ms: int = 60_000
    max_retries: int = 0
    serialization_type: str = "default"
    ignore_default: bool = False
    title: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "path": self.path,
            "title": self.title,
            "enabled": self.enabled,
            "transportUri": self.transport_uri,
            "transportUser": self.transport_user,
            "retryDelay": self.retry_delay_ms,
            "maxRetries": self.max_retries,
            "serializationType": self.serialization_type,
        }


def _str(node: Node, name: str, default: str = "") -> str:
    prop = node.properties.get(name)
    return str(prop.values[0]) if prop is not None and prop.values else default


def _int(node: Node, name: str, default: int) -> int:
    try:
        return int(_str(node, name, str(default)))
    except ValueError:
        return default


def _bool(node: Node, name: str, default: bool) -> bool:
    prop = node.properties.get(name)
    if prop is None or not prop.values:
        return default
    value = prop.values[0]
    return value if isinstance(value, bool) else str(value).lower() == "true"


def read_agents(reader: StoreReader, root: str) -> dict[str, AgentConfig]:
    """The agents under `root`, by name, in child order."""
    folder = reader.node(root)
    if folder is None:
        return {}
    out: dict[str, AgentConfig] = {}
    for page in reader.children(folder.id):
        config = reader.node(P.join(page.path, N.JCR_CONTENT)) or page
        out[page.name] = AgentConfig(
            id=page.name,
            name=page.name,
            path=page.path,
            enabled=_bool(config, "enabled", False),
            transport_uri=_str(config, "transportUri"),
            transport_user=_str(config, "transportUser"),
            transport_password=_str(config, PASSWORD),
            retry_delay_ms=max(_int(config, "retryDelay", 60_000), 0),
            max_retries=max(_int(config, "maxRetries", 0), 0),
            serialization_type=_str(config, "serializationType", "default"),
            ignore_default=_bool(config, "ignoreDefault", False),
            title=_str(config, "jcr:title", page.name),
        )
    return out


class PasswordHook:
    """Commit hook: a clear `transportPassword` under `/etc/replication` is stored encrypted."""

    def __init__(self, cipher: PasswordCipher) -> None:
        self.cipher = cipher

    def __call__(self, tree: Tree, writer: StoreWriter) -> None:
        del writer
        for path, t in tree.nodes.items():
            if t is None or not t.dirty or not P.is_ancestor(ROOT, path):
                continue
            prop = t.props.get(PASSWORD)
            if prop is None or not prop.values:
                continue
            value = str(prop.values[0])
            if value and not self.cipher.is_protected(value):
                t.props[PASSWORD] = Property(
                    PropertyType.STRING, False, (self.cipher.protect(value),)
                )


class AgentManager:
    """The agents of one instance: read from content, cached until `/etc/replication` changes."""

    def __init__(self, repository: Repository, settings: Settings, cipher: PasswordCipher) -> None:
        self.repository = repository
        self.settings = settings
        self.cipher = cipher
        self.root = agents_root(settings.role)
        self._agents: dict[str, AgentConfig] | None = None

    def invalidate(self) -> None:
        self._agents = None

    async def agents(self) -> dict[str, AgentConfig]:
        """Every configured agent by name (`AgentManager.agents()` of the spec)."""
        found = self._agents
        if found is None:
            root = self.root
            found = await self.repository.store.read(lambda r: read_agents(r, root))
            self._agents = found
        return found

    async def get(self, name: str) -> AgentConfig | None:
        return (await self.agents()).get(name)

    def password(self, agent: AgentConfig) -> str:
        return self.cipher.unprotect(agent.transport_password) if agent.transport_password else ""

    async def create_default_agent(self, publish_url: str, password: str | None) -> bool:
        """Create the `publish` agent for `publish_url` unless the agents folder has one."""
        session = self.repository.session("system")
        page = P.join(self.root, DEFAULT_AGENT)
        if await session.exists(page):
            return False
        for folder in (ROOT, self.root):
            if not await session.exists(folder):
                await session.add_node(folder, "sling:Folder")
        await session.add_node(page, N.CQ_PAGE)
        props: dict[str, object] = {
            "jcr:title": "Default Agent (publish)",
            "sling:resourceType": RESOURCE_TYPE,
            "enabled": True,
            "transportUri": publish_url.rstrip("/") + "/bin/receive",
            "transportUser": self.settings.replication_user,
            "retryDelay": self.settings.replication_retry_delay_ms,
            "maxRetries": 0,
            "serializationType": "default",
        }
        if password:
            props[PASSWORD] = self.cipher.protect(password)
        await session.add_node(P.join(page, N.JCR_CONTENT), N.CQ_PAGE_CONTENT, properties=props)
        await session.save()
        self.invalidate()
        log.info("created the default replication agent %s for %s", page, publish_url)
        return True
