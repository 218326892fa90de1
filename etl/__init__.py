"""pmo library: the reporting rules, portfolio, templates, returns, store and workbooks."""
