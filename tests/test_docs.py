"""Documentation that is generated or promised stays true."""

from pathlib import Path

from sim.scenario.schema import reference_markdown

ROOT = Path(__file__).resolve().parent.parent


def test_parameter_reference_is_current():
    current = (ROOT / "docs" / "parameters.md").read_text(encoding="utf-8")
    assert current == reference_markdown(), (
        "docs/parameters.md is stale: run `escsim schema > docs/parameters.md`"
    )


def test_every_schema_field_is_documented():
    text = reference_markdown()
    assert "| `logit_precision` |" in text and "| `honour_prior` |" in text
    assert "None |" not in text.replace("`None`", "")  # every field has a description
