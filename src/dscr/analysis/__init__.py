"""The paper's analyses (appendix A.5-A.10): frequency attenuation, filter statistics, Grad-CAM, and the tables
that compare runs (Mixup, OOD, Fashion-MNIST-C, cost vs robustness).

Library code: torch, numpy and matplotlib only; models come in as modules or `predict` callables, never as
task objects, so the analyses run on any trained classifier.
"""
