"""The planner's workbench (``zhuqi app``): one page where a county office runs a round.

- :mod:`zhuqi.workbench.session`: one browser session's work (its folder, rosters,
  settings, plans, pins and versions), as plain calls to the library; no widgets.
- :mod:`zhuqi.workbench.text`: the page's words in Chinese and English, and the Chinese
  wording of input problems.
- :mod:`zhuqi.workbench.page`: the Solara page (widgets only), served by ``zhuqi app``.
- :mod:`zhuqi.workbench.planmap`: the ipyleaflet map of a plan.
"""
