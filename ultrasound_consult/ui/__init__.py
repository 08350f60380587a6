"""PySide6 windows and widgets. The only package that imports Qt or pyqtgraph."""
