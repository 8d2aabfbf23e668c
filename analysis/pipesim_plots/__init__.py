"""pipesim_plots: paper-style figures from pipesim's run, comparison, sweep and exec outputs.

Entry point: analysis/plot.py (or `pipesim plot DIR`). Modules: style (colours, rcParams,
saving), loaders (folder formats), sweep_figures, latency_cdf, speedup, polkadot, timeline,
driver (which figures a folder supports). See docs/plots.md.
"""
