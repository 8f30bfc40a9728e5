"""The chart README's values table is generated from values.yaml and never falls behind it."""

from hack import chart_docs


def test_the_readme_table_is_what_values_yaml_says():
    readme = (chart_docs.CHART / "README.md").read_text()

    assert readme == chart_docs.render(readme), "run `make chart-docs`"


def test_every_documented_value_has_a_row():
    table = chart_docs.table()
    keys = [key for key, _ in chart_docs.documented((chart_docs.CHART / "values.yaml").read_text())]

    assert "watchNamespaces" in keys
    assert "prometheusRule.runbookBaseUrl" in keys
    for key in keys:
        assert f"| `{key}` |" in table
