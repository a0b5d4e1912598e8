"""Hypothesis strategies: a schema of each type, task data for it, and two valid values.

Every schema is built through ``parse_schema`` so the strategies cannot drift from the parser.
Each case carries two independent values for the same task, for the scoring properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from crewline.annotation import AnnotationType, LabelSchema, parse_schema

LETTERS = "abcdefghijklmnopqrstuvwxyzÀÉßæ漢字"
NAMES = st.text(alphabet=LETTERS, min_size=1, max_size=10)
LABEL_LISTS = st.lists(NAMES, min_size=2, max_size=8, unique=True)


@dataclass(frozen=True)
class Case:
    """A schema, task data that suits it, and two values it accepts (not yet normalised)."""

    schema: LabelSchema
    data: dict[str, Any]
    value: Any
    other: Any


def _case(
    draw: st.DrawFn, schema: LabelSchema, data: dict[str, Any], values: st.SearchStrategy[Any]
) -> Case:
    return Case(schema, data, draw(values), draw(values))


@st.composite
def single_label(draw: st.DrawFn) -> Case:
    labels = draw(LABEL_LISTS)
    schema = parse_schema(AnnotationType.SINGLE_LABEL, {"labels": labels})
    data = draw(st.sampled_from([{"text": "a review"}, {"image_url": "https://x/1.png"}]))
    return _case(draw, schema, data, st.sampled_from(labels))


@st.composite
def multi_label(draw: st.DrawFn) -> Case:
    labels = draw(LABEL_LISTS)
    high = draw(st.integers(1, len(labels)))
    low = draw(st.integers(0, high))
    spec = {"labels": labels, "min_selected": low, "max_selected": high}
    schema = parse_schema(AnnotationType.MULTI_LABEL, spec)
    chosen = st.lists(st.sampled_from(labels), min_size=low, max_size=high, unique=True)
    return _case(draw, schema, {"text": "a post"}, chosen)


@st.composite
def spans(draw: st.DrawFn) -> Case:
    labels = draw(LABEL_LISTS)
    overlap = draw(st.booleans())
    schema = parse_schema(AnnotationType.SPANS, {"labels": labels, "allow_overlap": overlap})
    text = draw(st.text(alphabet=LETTERS + " 🙂", min_size=1, max_size=40))
    return _case(draw, schema, {"text": text}, _spans(text, labels, overlap))


@st.composite
def _spans(draw: st.DrawFn, text: str, labels: list[str], overlap: bool) -> list[dict[str, Any]]:
    if overlap:
        bounds = st.tuples(st.integers(0, len(text)), st.integers(0, len(text)))
        ranges = [(min(r), max(r)) for r in draw(st.lists(bounds, max_size=6)) if r[0] != r[1]]
    else:  # cut points in order, paired up, give disjoint ranges
        cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=12)))
        ranges = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    items = {(start, end, draw(st.sampled_from(labels))) for start, end in ranges}
    value: list[dict[str, Any]] = [{"start": s, "end": e, "label": label} for s, e, label in items]
    quote = draw(st.booleans())  # (drawn apart: mypy infers draw's type from the `and`)
    if value and quote:
        value[0]["text"] = text[value[0]["start"] : value[0]["end"]]
    return list(draw(st.permutations(value)))


@st.composite
def boxes(draw: st.DrawFn) -> Case:
    labels = draw(LABEL_LISTS)
    min_size = draw(st.sampled_from([1, 0.5, 4]))
    schema = parse_schema(AnnotationType.BOXES, {"labels": labels, "min_size": min_size})
    width, height = draw(st.integers(8, 4000)), draw(st.integers(8, 4000))
    data = {"image_url": "https://x/1.jpg", "width": width, "height": height}
    one = _box(width, height, min_size, labels)
    return _case(draw, schema, data, st.lists(one, max_size=6, unique_by=_box_identity))


def _box_identity(box: dict[str, Any]) -> tuple[Any, ...]:
    """Boxes a millionth of a pixel apart become one box after import's rounding."""
    return *(round(box[k], 3) for k in "xywh"), box["label"]


@st.composite
def _box(draw: st.DrawFn, width: int, height: int, min_size: float, labels: list[str]) -> Any:
    x = draw(st.floats(0, width - min_size))
    y = draw(st.floats(0, height - min_size))
    w = draw(st.floats(min_size, width - x))
    h = draw(st.floats(min_size, height - y))
    return {"x": x, "y": y, "w": w, "h": h, "label": draw(st.sampled_from(labels))}


@st.composite
def pairwise(draw: st.DrawFn) -> Case:
    spec = {
        "allow_tie": draw(st.booleans()),
        "reason_required": draw(st.booleans()),
        "dimensions": draw(st.lists(NAMES, max_size=3, unique=True)),
    }
    schema = parse_schema(AnnotationType.PAIRWISE, spec)
    data = {"prompt": "Explain tides.", "response_a": "The moon.", "response_b": "Wind."}
    return _case(draw, schema, data, _preference(spec))


@st.composite
def _preference(draw: st.DrawFn, spec: dict[str, Any]) -> dict[str, Any]:
    choices = ["a", "b", "tie"] if spec["allow_tie"] else ["a", "b"]
    value: dict[str, Any] = {"choice": draw(st.sampled_from(choices))}
    if spec["reason_required"] or draw(st.booleans()):
        value["reason"] = draw(NAMES.map(lambda words: f"  {words}  "))
    if spec["dimensions"] and draw(st.booleans()):
        value["dimensions"] = {
            name: draw(st.sampled_from(choices)) for name in reversed(spec["dimensions"])
        }
    return value


@st.composite
def ranking(draw: st.DrawFn) -> Case:
    min_responses = draw(st.integers(2, 4))
    schema = parse_schema(AnnotationType.RANKING, {"min_responses": min_responses})
    ids = draw(st.lists(NAMES, min_size=min_responses, max_size=7, unique=True))
    data = {"prompt": "Pick the best", "responses": [{"id": i, "text": f"answer {i}"} for i in ids]}
    return _case(draw, schema, data, st.permutations(ids))


@st.composite
def free_text(draw: st.DrawFn) -> Case:
    multiline = draw(st.booleans())
    low = draw(st.integers(0, 5))
    high = draw(st.integers(max(low, 1), 60))
    spec = {"min_length": low, "max_length": high, "multiline": multiline}
    schema = parse_schema(AnnotationType.FREE_TEXT, spec)
    return _case(draw, schema, {"audio_url": "https://x/1.wav"}, _text(low, high, multiline))


@st.composite
def _text(draw: st.DrawFn, low: int, high: int, multiline: bool) -> str:
    length = draw(st.integers(low, high))
    ends = st.sampled_from(LETTERS)
    if length < 2:
        core = draw(ends) if length else ""
    else:  # letters at both ends, so stripping leaves exactly ``length`` characters
        gaps = " \n" if multiline else " "
        middle = st.text(alphabet=LETTERS + gaps, min_size=length - 2, max_size=length - 2)
        core = draw(ends) + draw(middle) + draw(ends)
    if multiline:
        core = core.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\r"])))
    padding = draw(st.sampled_from(["", " ", "\n", " \t "]))
    return padding + core + padding


@st.composite
def likert(draw: st.DrawFn) -> Case:
    low = draw(st.integers(-5, 5))
    step = draw(st.integers(1, 3))
    high = low + step * draw(st.integers(1, 9))
    schema = parse_schema(AnnotationType.LIKERT, {"min": low, "max": high, "step": step})
    return _case(draw, schema, {}, st.sampled_from(range(low, high + 1, step)))


BY_TYPE = {
    AnnotationType.SINGLE_LABEL: single_label(),
    AnnotationType.MULTI_LABEL: multi_label(),
    AnnotationType.SPANS: spans(),
    AnnotationType.BOXES: boxes(),
    AnnotationType.PAIRWISE: pairwise(),
    AnnotationType.RANKING: ranking(),
    AnnotationType.FREE_TEXT: free_text(),
    AnnotationType.LIKERT: likert(),
}
ANY_CASE = st.one_of(*BY_TYPE.values())
LABEL_STUDIO_CASES = st.one_of(single_label(), multi_label(), spans(), boxes())
