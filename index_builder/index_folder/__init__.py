"""The index folder format: the only code that knows its files. Write one (`IndexWriter`, streaming:
FAISS and SQLite are written as the vectors and records come), open one (`IndexFolder`), check one
(`verify`), re-encode one (`compact_index`), publish one (`publish`). `format.py` lists the files."""

from index_builder.index_folder.compact import compact_index
from index_builder.index_folder.format import (
    FORMAT_VERSION,
    VECTOR_TYPES,
    Group,
    IndexFolderError,
    SentenceRecord,
    VectorRecord,
    WordTag,
    normalise_rows,
    sha256_file,
)
from index_builder.index_folder.publish import publish, refuse_non_index, staging_folder, write_atomic
from index_builder.index_folder.reader import IndexFolder
from index_builder.index_folder.tuned import write_tuned
from index_builder.index_folder.verify import read_manifest, verify
from index_builder.index_folder.writer import GroupRecords, IndexWriter

__all__ = [
    "FORMAT_VERSION",
    "VECTOR_TYPES",
    "Group",
    "GroupRecords",
    "IndexFolder",
    "IndexFolderError",
    "IndexWriter",
    "SentenceRecord",
    "VectorRecord",
    "WordTag",
    "compact_index",
    "normalise_rows",
    "publish",
    "read_manifest",
    "refuse_non_index",
    "sha256_file",
    "staging_folder",
    "verify",
    "write_atomic",
    "write_tuned",
]
