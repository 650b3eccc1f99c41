# Table 12, "SET (s=0.2)": the dense recipe, backbone pruned to 20 % sparsity (ERK, magnitude), then SET.
_base_ = ["./fcn_vgg16_voc.py"]
work_dir = "runs/fcn_vgg16_voc_set_s0.2"
dst = dict(algorithm="set", sparsity=0.2)
