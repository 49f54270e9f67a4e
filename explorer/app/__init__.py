"""The shared UI plumbing of the pages: session state and the settings tables, shareable links, languages,
navigation and the tour, shared widgets, live charts, the server's caches and runtime resources, the
error boundary, the share and report buttons."""
