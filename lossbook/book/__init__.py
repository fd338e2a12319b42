"""The book's helpers: plots, widgets, a tiny network. The losses never import this package.

* :mod:`lossbook.book.plot`: loss and gradient curves read from the registry, and the
  book's plot style;
* :mod:`lossbook.book.widgets`: ipywidgets explorers, and the recorded states that make
  them work on the website without a kernel;
* :mod:`lossbook.book.nn`: a dense layer and gradient descent, enough to train with a loss;
* :mod:`lossbook.book.ctc`: the CTC chapter's tools (alignments, the lattice's occupancy,
  greedy decoding, brute-force sums).

matplotlib and ipywidgets are imported by these modules only, never by ``import lossbook``.
"""
