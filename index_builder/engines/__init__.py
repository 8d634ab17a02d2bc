"""Who embeds the shards of a build: `LocalEngine` (this process) or `RayEngine` (Ray Data actors, on
this machine or a cluster). Same shard files, same assembly, same index folder bit for bit."""

from index_builder.engines.base import Engine, ShardInput, ShardSource
from index_builder.engines.local import LocalEngine
from index_builder.engines.ray import RayEngine

ENGINES = ("local", "ray")

__all__ = ["ENGINES", "Engine", "LocalEngine", "RayEngine", "ShardInput", "ShardSource"]
