from __future__ import annotations

from pathlib import Path

from index_builder.repeated_ids import Repeat, RepeatedIds, key_file_id, xml_ids


def test_repeats_are_named_from_their_lines_in_line_order(tmp_path: Path):
    lines = ['<a id="x">', '<a id="y">', "<a", '   id="x&amp;1">', '<a id="y">', '<a id="x&amp;1">']
    path = tmp_path / "c.xml"
    path.write_text("\n".join(lines) + "\n")
    ids = RepeatedIds()
    for line, name in [(1, "x"), (2, "y"), (3, "x&1"), (5, "y"), (6, "x&1")]:
        ids.add(name, line)
    assert ids.repeats(path, xml_ids) == [Repeat("y", 5, 2), Repeat("x&1", 6, 3)]


def test_no_repeats_reads_nothing_again(tmp_path: Path):
    ids = RepeatedIds()
    for line, name in enumerate("abc", 1):
        ids.add(name, line)
    assert ids.repeats(tmp_path / "gone.xml", xml_ids) == []  # the file is never opened


def test_an_id_that_is_not_on_its_line_is_kept_by_name(tmp_path: Path):
    path = tmp_path / "c.xml"
    path.write_text("<s>\n<s>\n<s>\n")
    ids = RepeatedIds()
    ids.add("d0.s3", 1, written=False)
    ids.add("d0.s4", 2, written=False)
    ids.add("d0.s3", 3, written=False)
    assert ids.repeats(path, xml_ids) == [Repeat("d0.s3", 3, 1)]


def test_key_file_ids_and_a_hash_shared_by_two_ids(tmp_path: Path):
    path = tmp_path / "k.txt"
    path.write_text("a k1\nb k2\na k3\n")
    ids = RepeatedIds()
    for line, name in [(1, "a"), (2, "b"), (3, "a")]:
        ids.add(name, line)
    assert ids.repeats(path, key_file_id) == [Repeat("a", 3, 1)]
    colliding = RepeatedIds()  # two ids whose hashes are equal, as if they collided
    colliding._hashes.extend([7, 7])
    colliding._lines.extend([1, 2])
    assert colliding.repeats(path, key_file_id) == []  # lines 1 and 2 name a and b: not a repeat
