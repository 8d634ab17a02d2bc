"""Who embeds the shards of a build: `LocalEngine` (this process). Same shard files, same assembly,
same index folder bit for bit, whichever engine embeds."""

from index_builder.engines.base import Engine, ShardInput, ShardSource
from index_builder.engines.local import LocalEngine

__all__ = ["Engine", "LocalEngine", "ShardInput", "ShardSource"]
