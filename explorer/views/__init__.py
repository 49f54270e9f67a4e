"""Page logic, one module per page (same stem as ``pages/<stem>.py``), plus ``<stem>_<part>.py`` for a
page's other concepts. Page logic computes; the pages in ``pages/`` lay it out."""
