"""Publishing for the public: the Performance Dashboard, a static site (map, filters, a page per project, open data)."""
