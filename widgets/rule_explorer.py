"""Rule explorer app: threshold sliders, item pickers, tabs of views, drill-down, CSV download.

Rules are mined once at a floor support; raising a threshold only filters the stored rules
(no re-mining). Lowering support below the floor re-mines, with a status line while it runs.
"""

from __future__ import annotations

import html
import time
from typing import Any

import ipywidgets as W
import pandas as pd

from crmlib.analysis import (
    cooccurrence_links,
    item_nodes,
    mine_rules,
    rule_label,
    rule_sentences,
    rules_for_export,
    supporting_baskets,
    web_layout,
)
from crmlib.analysis.baskets import Baskets
from crmlib.analysis.rules import RuleSet
from crmlib.charts import (
    cooccurrence_web,
    download_link,
    empty_state,
    error_box,
    notes,
    rules_graph,
    rules_matrix,
    rules_scatter,
)
from crmlib.errors import CrmInputError
from widgets.common import App, enable_offline_charts, live_chart

SORTS = ("lift", "confidence", "support", "count", "deployability", "conviction")
TABLE_ROWS = 50


def _percent_slider(description: str, value: float, low: float, high: float, step: float):
    return W.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        readout_format=".2%",
        continuous_update=False,
        style={"description_width": "110px"},
        layout=W.Layout(width="420px"),
    )


def rules_table_html(rules: pd.DataFrame, rows: int = TABLE_ROWS) -> str:
    """An escaped HTML table of the first ``rows`` rules."""
    view = rules.head(rows)
    table = pd.DataFrame(
        {
            "rule": [
                rule_label(a, c) for a, c in zip(view.antecedent, view.consequent, strict=True)
            ],
            "baskets": view["count"].map("{:,}".format),
            "support": view["support"].map("{:.2%}".format),
            "confidence": view["confidence"].map("{:.1%}".format),
            "lift": view["lift"].map("{:.2f}".format),
            "not yet": view["deployability"].map("{:,}".format),
        }
    )
    return table.to_html(index=False, escape=True, classes="crm-rules", border=0)


class RuleExplorerApp(App):
    """Interactive rule explorer.

    Parameters
    ----------
    baskets : Baskets
        The baskets the rules come from (for re-mining, drill-down and the web).
    rules : RuleSet
        Rules mined at the floor support.
    unit : str
        What a basket is, in sentences ("baskets", "customers").
    mine_options : dict, optional
        Extra keyword arguments for re-mining (max_len, constraints, correction, ...).
    """

    def __init__(
        self,
        baskets: Baskets,
        rules: RuleSet,
        *,
        unit: str = "baskets",
        mine_options: dict[str, Any] | None = None,
    ) -> None:
        enable_offline_charts()
        self.baskets, self.ruleset, self.unit = baskets, rules, unit
        self.mine_options = dict(mine_options or {})
        self.floor = rules.min_support
        n = baskets.n_baskets
        top_support = float(rules.rules["support"].max()) if len(rules.rules) else 0.2
        self.support = _percent_slider(
            "min support", rules.min_support, max(1 / n, self.floor / 5), max(top_support, 0.05),
            max(1 / n, 0.0005),
        )  # fmt: skip
        self.confidence = _percent_slider("min confidence", rules.min_confidence, 0.0, 1.0, 0.01)
        top_lift = float(rules.rules["lift"].max()) if len(rules.rules) else 10.0
        self.lift = W.FloatSlider(
            value=rules.min_lift, min=0.0, max=round(max(top_lift, 2.0), 1), step=0.1,
            description="min lift", continuous_update=False,
            style={"description_width": "110px"}, layout=W.Layout(width="420px"),
        )  # fmt: skip
        longest = int(rules.rules["length"].max()) if len(rules.rules) else 2
        self.length = W.IntRangeSlider(
            value=(2, max(longest, 2)), min=2, max=max(longest, 3), description="items in rule",
            continuous_update=False, style={"description_width": "110px"},
        )  # fmt: skip
        names = sorted(map(str, baskets.items))
        self.lhs = W.TagsInput(allowed_tags=names, allow_duplicates=False)
        self.rhs = W.TagsInput(allowed_tags=names, allow_duplicates=False)
        self.exclude = W.TagsInput(allowed_tags=names, allow_duplicates=False)
        self.sort = W.Dropdown(options=SORTS, value="lift", description="sort by")
        self.counter = W.HTML()
        self.status = W.HTML()
        self.table = W.HTML()
        self.sentences = W.HTML()
        self.download = W.HTML()
        self.csv_button = W.Button(description="Prepare CSV download", icon="download")
        self.csv_button.on_click(lambda _b: self._prepare_csv())
        self.scatter, self.matrix, self.graph, self.web = (live_chart() for _ in range(4))
        self.web_info = W.HTML()
        self.web_strength = W.FloatSlider(
            value=0.05, min=0.0, max=0.5, step=0.01, description="min link",
            readout_format=".0%", continuous_update=False,
        )  # fmt: skip
        self.drill_pick = W.Dropdown(description="rule", layout=W.Layout(width="720px"))
        self.drill = W.HTML()
        self.tabs = W.Tab(
            children=[
                W.VBox([self.sentences, W.HBox([self.csv_button, self.download]), self.table]),
                self.scatter,
                self.matrix,
                self.graph,
                W.VBox([W.HBox([self.web_strength, self.web_info]), self.web]),
                W.VBox([self.drill_pick, self.drill]),
            ]
        )
        for i, title in enumerate(("Table", "Scatter", "Matrix", "Graph", "Web", "Drill-down")):
            self.tabs.set_title(i, title)
        for control in (self.support, self.confidence, self.lift, self.length, self.sort):
            control.observe(self._on_change, names="value")
        for picker in (self.lhs, self.rhs, self.exclude):
            picker.observe(self._on_change, names="value")
        self.web_strength.observe(lambda _c: self._draw_web(), names="value")
        self.drill_pick.observe(lambda _c: self._draw_drill(), names="value")
        pickers = W.VBox(
            [
                W.HBox([W.Label("antecedent has", layout=W.Layout(width="120px")), self.lhs]),
                W.HBox([W.Label("consequent has", layout=W.Layout(width="120px")), self.rhs]),
                W.HBox([W.Label("leave out", layout=W.Layout(width="120px")), self.exclude]),
            ]
        )
        self.widget = W.VBox(
            [
                W.HBox([W.VBox([self.support, self.confidence, self.lift]),
                        W.VBox([self.length, self.sort, self.counter])]),
                pickers,
                self.status,
                self.tabs,
            ]
        )  # fmt: skip
        self.current = self.refresh()
        self._draw_web()

    # -- reactions -----------------------------------------------------------------------
    def _on_change(self, _change: dict) -> None:
        self.refresh()

    def _remine(self, support: float) -> None:
        self.status.value = notes([f"Mining at support {support:.2%} (below the floor of "
                                   f"{self.floor:.2%}), please wait…"])  # fmt: skip
        t0 = time.perf_counter()
        self.ruleset = mine_rules(
            self.baskets,
            min_support=support,
            min_confidence=min(self.confidence.value, self.ruleset.min_confidence),
            **self.mine_options,
        )
        self.floor = self.ruleset.min_support
        self.status.value = notes([f"Mined {len(self.ruleset.rules):,} rules in "
                                   f"{time.perf_counter() - t0:.1f} s."])  # fmt: skip

    def refresh(self) -> pd.DataFrame:
        """Filter the stored rules by the controls (re-mining below the floor) and redraw.

        Returns
        -------
        pandas.DataFrame
            The rules shown, sorted by the chosen measure.
        """
        try:
            if self.support.value < self.floor - 1e-12 or (
                self.confidence.value < self.ruleset.min_confidence - 1e-12
            ):
                self._remine(self.support.value)
            low, high = self.length.value
            shown = self.ruleset.filter(
                min_support=self.support.value,
                min_confidence=self.confidence.value,
                min_lift=self.lift.value,
                min_len=low,
                max_len=high,
                antecedent_has=self.lhs.value,
                consequent_has=self.rhs.value,
                exclude=self.exclude.value,
            ).sort_values(self.sort.value, ascending=False, kind="stable")
        except CrmInputError as exc:
            self.status.value = error_box(str(exc))
            shown = self.ruleset.rules.iloc[0:0]
        self.current = shown
        total = len(self.ruleset.rules)
        self.counter.value = (
            f"<b id='crm-rule-count'>{len(shown):,}</b> of {total:,} rules "
            f"<span class='crm-note'>({html.escape(self.ruleset.funnel_text())})</span>"
        )
        if shown.empty:
            why = " ".join(self.ruleset.notes[-1:]) or (
                "No rule passes these thresholds and item choices; lower a threshold or "
                "clear a picker."
            )
            self.table.value = empty_state(why)
            self.sentences.value = ""
            self.download.value = ""
        else:
            self.table.value = rules_table_html(shown)
            text = rule_sentences(shown, self.baskets.n_baskets, unit=self.unit, top_n=3)
            self.sentences.value = notes(text)
            self.download.value = ""  # built on request: encoding 20,000 rules takes ~0.3 s
        self.scatter.chart = rules_scatter(shown)
        self.matrix.chart = rules_matrix(shown)
        self.graph.chart = rules_graph(shown)
        head = shown.head(50)
        pairs = zip(head.antecedent, head.consequent, strict=True)
        self.drill_pick.options = [(rule_label(a, c), i) for i, (a, c) in enumerate(pairs)]
        if len(head) and self.drill_pick.value is None:
            self.drill_pick.value = 0  # draws the drill-down through the observer
        else:
            self._draw_drill()
        return shown

    def _prepare_csv(self) -> None:
        if self.current.empty:
            self.download.value = notes(["No rules to download."])
        else:
            self.download.value = self._download_link(self.current)

    def _download_link(self, rules: pd.DataFrame) -> str:
        return download_link(
            rules_for_export(rules).to_csv(index=False),
            "rules.csv",
            f"Download these {len(rules):,} rules as CSV (all measures)",
            "crm-rules-csv",
        )

    def _draw_drill(self) -> None:
        if self.drill_pick.value is None or self.current.empty:
            self.drill.value = empty_state("Pick a rule to see the baskets behind it.")
            return
        rule = self.current.iloc[self.drill_pick.value]
        info = supporting_baskets(self.baskets, rule.antecedent, rule.consequent, sample=10)
        counts = (
            f"{info['with_antecedent']:,} {self.unit} hold the antecedent; "
            f"{info['with_both']:,} also hold the consequent; "
            f"{info['without_consequent']:,} do not (the cross-sell pool)."
        )
        if "customers_both" in info:
            counts += (
                f" Customers: {info['customers_both']:,} with both, "
                f"{info['customers_without']:,} without the consequent."
            )
        sample = info["sample"].to_html(index=False, escape=True, border=0)
        self.drill.value = notes([counts]) + f"<div id='crm-drill-sample'>{sample}</div>"

    def _draw_web(self) -> None:
        links = cooccurrence_links(
            self.baskets, top_items=25, measure="pct_smaller", min_value=self.web_strength.value
        )
        items = sorted(set(links["item_a"]) | set(links["item_b"])) if len(links) else []
        nodes = item_nodes(self.baskets, items)
        self.web_links = links
        self.web_info.value = f"<span id='crm-web-links'>{len(links):,}</span> links"
        self.web.chart = cooccurrence_web(nodes, links, web_layout(nodes, links))
