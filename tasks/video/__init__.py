"""Video action recognition on UCF101 (paper Table 2 rows 3D ResNet-50 and I3D): loader, models, training
loop and UCF101-C evaluation. See README.md."""
