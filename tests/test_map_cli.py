"""`wsd map` on the tiny fake index (and a copy of it described as two concatenated layers)."""

from __future__ import annotations

from wsd_service.cli import main


def test_png_of_two_indexes_with_the_query(tiny_index, tmp_path, capsys):
    png = tmp_path / "say.png"
    args = [
        "map",
        "say",
        "--index",
        str(tiny_index),
        "--index",
        str(tiny_index),
        "--pos",
        "VERB",
        "--sentence",
        "The jury said no.",
        "--word",
        "said",
        "--png",
        str(png),
    ]
    assert main(args) == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 20_000
    assert f"wrote {png}" in capsys.readouterr().out


def test_panels_per_index_and_layer_view(layer_sweep, tmp_path, monkeypatch):
    drawn = {}
    monkeypatch.setattr(
        "wsd_service.map_cli.draw_maps", lambda panels, path, title: drawn.update(panels=panels, title=title)
    )
    args = ["map", "said", *layer_sweep, "--cap", "4", "--sentence", "He said so.", "--word", "said"]
    assert main([*args, "--png", str(tmp_path / "x.png")]) == 0
    rows = drawn["panels"]
    assert [[p.title for p in row] for row in rows] == [
        ["layered [layers 0]", "layered [layers 1]", "layered [layers 0,1]"],
        ["tiny"],
    ]
    assert drawn["title"] == "Sense map of say (VERB), PCA"
    maps = [p.map for row in rows for p in row]
    assert all(m.query is not None and max(e.shown for e in m.legend) <= 4 for m in maps)
    assert len({tuple((p.x, p.y) for p in m.points) for m in maps[:3]}) == 3  # the views differ


def test_errors(tiny_index, tmp_path, capsys):
    png = str(tmp_path / "x.png")
    assert main(["map", "say", "--index", str(tiny_index), "--sentence", "He said so.", "--png", png]) == 2
    assert "--sentence needs --word" in capsys.readouterr().err
    assert main(["map", "qwxzy", "--index", str(tiny_index), "--png", png]) == 2
    assert "no training vectors for 'qwxzy'" in capsys.readouterr().err
