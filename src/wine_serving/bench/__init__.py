"""The benchmark: MLServer configurations against ``mlflow models serve`` and in-process pyfunc.

``plan`` (what is measured), ``measure`` (running it), ``report`` (reading it) and
``__main__`` (``python -m wine_serving.bench``, ``--quick`` for the short plan that
notebook 13 and the tests run). Nothing in the core path imports it.
"""
