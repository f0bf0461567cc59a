"""asv benchmarks of the harness (asv.conf.json points here).

``scores.py`` tracks each strategy's held-out test score on a fixed small problem set;
``cost.py`` times the harness against the same search called directly and measures a run's
memory. ``overhead.py`` and ``report_render.py`` are standalone scripts (run them with
``python benchmarks/NAME.py``); asv imports them too, and they define no benchmarks.
"""
