"""pandera models for the inputs pmo validates: portfolio, highlight returns, KPIs."""
