"""Supplier documents read without templates: layout -> header fields, line items, checks.

``layout`` (positioned words -> lines and cells), ``values`` (amounts and dates as printed),
``labels`` (the words beside the values, seven languages), ``header`` and ``lines`` (scored
candidates), ``checks`` (values against each other), ``reader`` (the whole document).
Pure: ``ingest/pdf.py`` is the one module that opens PDFs.
"""
