"""The server-side SVG charts: valid, escaped, deterministic, accessible, with empty states."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from django.utils.safestring import SafeString

from tingjian.insights import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & 台中店'


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(svg: str) -> list[str]:
    return [el.text or "" for el in parse(svg).iter(f"{SVG}text")]


def links(svg: str) -> list[str]:
    return [el.get("href") or "" for el in parse(svg).iter(f"{SVG}a")]


def test_every_chart_is_well_formed_svg_with_title_desc_and_aria_label() -> None:
    made = [
        charts.sparkline([1, 3, 2], label="Complaints"),
        charts.line_chart([("This week", [("Mon", 1), ("Tue", 2)])], title="Complaints"),
        charts.bar_chart([("送餐延遲", 5, None)], title="Complaints"),
        charts.heatmap_chart(["Mon"], ["0", "1"], [[1, 2]], title="Complaints"),
    ]
    for svg in made:
        root = parse(svg)
        assert isinstance(svg, SafeString)
        assert root.get("role") == "img"
        assert root.get("aria-label") == "Complaints"
        assert root.find(f"{SVG}title").text == "Complaints"  # type: ignore[union-attr]
        assert root.find(f"{SVG}desc").text  # type: ignore[union-attr]


def test_labels_are_escaped_in_every_chart() -> None:
    made = [
        charts.sparkline([1, 2], label=EVIL),
        charts.line_chart([(EVIL, [(EVIL, 1), ("b", 2)])], title=EVIL),
        charts.bar_chart([(EVIL, 3, None), ("b", 1, None)], title=EVIL),
        charts.heatmap_chart([EVIL], [EVIL], [[4]], title=EVIL),
    ]
    for svg in made:
        assert "<script" not in svg
        parse(svg)  # still well-formed: nothing broke out of an attribute or element
        assert "&lt;script&gt;" in svg


def test_chinese_labels_are_kept_and_the_cjk_font_stack_is_named() -> None:
    svg = charts.bar_chart([("送餐延遲", 5, None), ("異物", 2, None)], title="客訴類別")
    assert "送餐延遲" in texts(svg)
    assert "Noto Sans CJK TC" in parse(svg).get("font-family", "")


def test_same_numbers_give_the_same_bytes() -> None:
    def draw() -> str:
        return charts.line_chart(
            [("This week", [("Mon", 1.234), ("Tue", None), ("Wed", 7)]), ("Last week", [("Mon", 2), ("Tue", 3)])],
            title="Complaints", unit="count",
        )

    assert draw() == draw()


def test_empty_series_say_no_data() -> None:
    for svg in (
        charts.sparkline([]),
        charts.sparkline([None, None]),
        charts.line_chart([]),
        charts.line_chart([("This week", [("Mon", None)])]),
        charts.bar_chart([]),
        charts.bar_chart([("a", 0, None)]),
        charts.heatmap_chart(["Mon"], ["0"], [[0]]),
        charts.heatmap_chart([], [], []),
    ):
        assert "No data" in texts(svg)


def test_line_chart_draws_the_current_series_solid_and_comparisons_dashed_with_a_legend() -> None:
    svg = charts.line_chart(
        [("This week", [("Mon", 1), ("Tue", 4)]), ("Last week", [("Mon", 2), ("Tue", 2)])], title="Complaints",
    )
    lines = list(parse(svg).iter(f"{SVG}polyline"))
    dashed = [line for line in lines if line.get("stroke-dasharray")]
    solid = [line for line in lines if not line.get("stroke-dasharray")]
    assert len(solid) == 1 and len(dashed) == 1
    assert {"This week", "Last week"} <= set(texts(svg))


def test_line_chart_breaks_the_line_at_a_missing_value() -> None:
    svg = charts.line_chart([("This week", [("1", 1), ("2", 2), ("3", None), ("4", 3), ("5", 4)])])
    assert len(list(parse(svg).iter(f"{SVG}polyline"))) == 2


def test_line_chart_shows_durations_for_seconds() -> None:
    svg = charts.line_chart([("Median", [("Mon", 600), ("Tue", 1800)])], unit="seconds")
    assert any("min" in t for t in texts(svg))


def test_bar_links_go_to_their_cases_and_unsafe_links_are_dropped() -> None:
    svg = charts.bar_chart(
        [("a", 3, "/cases/?category=1&start=2026-01-05"), ("b", 2, "javascript:alert(1)"), ("c", 1, None)],
    )
    assert links(svg) == ["/cases/?category=1&start=2026-01-05"]
    assert "javascript" not in svg


def test_pareto_line_ends_at_one_hundred_percent() -> None:
    svg = charts.bar_chart([("a", 6, None), ("b", 3, None), ("c", 1, None)], cumulative=True, height=240)
    root = parse(svg)
    line = next(el for el in root.iter(f"{SVG}polyline") if el.get("stroke") == charts.PARETO_COLOUR)
    ys = [float(point.split(",")[1]) for point in line.get("points", "").split()]
    grid_tops = [float(el.get("y1", "0")) for el in root.iter(f"{SVG}line") if el.get("stroke") == charts.GRID]
    assert ys == sorted(ys, reverse=True)  # rising (smaller y) bar by bar
    assert ys[-1] == min(grid_tops)  # the last point is at the top of the axis: 100 %
    assert "100 %" in texts(svg)


def test_long_labels_are_shortened_with_an_ellipsis_and_kept_whole_in_the_tooltip() -> None:
    long = "因為外送平台延遲導致餐點冷掉而且湯汁灑出" * 2
    svg = charts.bar_chart([(long, 3, None)] + [(str(i), 1, None) for i in range(15)])
    assert any(t.endswith("…") for t in texts(svg))
    assert long in svg  # in the bar's <title>


def test_heatmap_cells_link_to_their_cases_only_when_they_have_cases() -> None:
    svg = charts.heatmap_chart(
        ["Mon", "Tue"], ["0", "1"], [[0, 2], [1, 0]], hrefs=lambda r, c: f"/cases/?weekday={r}&hour={c}",
    )
    assert links(svg) == ["/cases/?weekday=0&hour=1", "/cases/?weekday=1&hour=0"]


def test_heatmap_accepts_a_grid_of_links() -> None:
    svg = charts.heatmap_chart(["Mon"], ["0", "1"], [[1, 2]], hrefs=[["/a", None]])
    assert links(svg) == ["/a"]


def test_heatmap_colours_the_busiest_cell_darkest_and_empty_cells_grey() -> None:
    svg = charts.heatmap_chart(["Mon"], ["0", "1", "2"], [[0, 1, 10]])
    fills = [el.get("fill") for el in parse(svg).iter(f"{SVG}rect")][:3]
    assert fills[0] == charts.HEAT_EMPTY
    assert fills[2] == charts.HEAT_SCALE[-1]
    assert fills[1] == charts.HEAT_SCALE[0]


def test_sparkline_of_a_flat_series_draws_a_flat_line() -> None:
    svg = charts.sparkline([5, 5, 5])
    points = parse(svg).find(f"{SVG}polyline").get("points", "").split()  # type: ignore[union-attr]
    assert len({p.split(",")[1] for p in points}) == 1


def test_format_value_names_units() -> None:
    assert charts.format_value(None) == "—"
    assert charts.format_value(93.14, "percent") == "93.1 %"
    assert charts.format_value(1204, "count") == "1,204"
    assert charts.format_value(2520, "seconds") == "42 min"


def test_nice_ceiling_rounds_up_to_a_round_number() -> None:
    assert [charts.nice_ceiling(v) for v in (0, 0.7, 3, 7, 23, 180)] == [1, 1, 5, 10, 25, 200]


def test_axis_steps_are_round_and_whole_for_counts() -> None:
    assert charts.nice_axis(3, whole=True) == 4  # 0, 1, 2, 3, 4
    assert charts.nice_axis(9, whole=True) == 12  # steps of 3 are not round: 0, 2, … would not reach 9
    assert charts.nice_axis(40, whole=True) == 40
    assert charts.nice_axis(0.3) == 0.4


def test_title_can_be_left_to_the_page_and_still_names_the_chart() -> None:
    svg = charts.bar_chart([("a", 3, None)], title="Top categories", show_title=False)
    assert "Top categories" not in texts(svg)
    assert parse(svg).get("aria-label") == "Top categories"


def test_a_comparison_without_values_is_left_out_of_the_legend() -> None:
    svg = charts.line_chart([("This week", [("Mon", 1), ("Tue", 2)]), ("Last year", [])])
    assert "Last year" not in texts(svg)
