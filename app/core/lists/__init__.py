"""The list page every console view shares, and what a list does at scale.

The parts, by what they do:

* ``views``         -- ``ConsoleListMixin`` (the list page, its advanced filters fetched when
  opened), the search and list widgets, and the search form's dropdown caches;
  ``app/core/views.py``'s ``AnjuModelView`` builds on it and re-exports its names;
* ``search``        -- what a view declares once: the inline search form (text boxes,
  dictionary and yes/no selects, Chinese date ranges), whole-day range filters, the key
  column that links to the detail, the page-size choices;
* ``paging``        -- the count a list shows (exact up to a cap, "10,000+" past it) and the
  text filters compiled to an index-friendly ``LIKE``;
* ``rows``          -- the table's rows, head and pager written in Python (the same markup as
  the templates wrote, a fraction of the time);
* ``links``         -- the sort, page and page-size links, built from the request once;
* ``reader``        -- a page's rows read as plain values by one statement instead of ORM
  objects (checked against the ORM rows on a view's first page);
* ``export_import`` -- export and import of every list, in the background when large;
* ``export_plan``   -- an export's rows read as one statement of plain columns (checked
  against the list's own cells).

Callers import the part they use (``from app.core.lists import rows``). The package itself
imports none of them: ``paging`` is read by ``app/core/datamodels.py``, which ``views`` reads
in turn, so importing every part here would import them in a circle.
"""
