# A few-second CPU run of the same pipeline: the tiny VGG variant, 64 px crops, 3 VOC classes, 2 epochs, SET
# at 50 % with a mask update every 2 steps. Point data_root at a small VOC-layout folder.
_base_ = ["./fcn_vgg16_voc.py"]
work_dir = "runs/fcn_smoke"
data_root = "data/voc_tiny"
crop_size = (64, 64)
metainfo = dict(classes=("background", "aeroplane", "bicycle"))

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(arch="vgg_tiny"),
    decode_head=dict(in_channels=16, channels=16, num_convs=1, num_classes=3),
)
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations"),
    dict(type="RandomResize", scale=(96, 64), ratio_range=(0.75, 1.25), keep_ratio=True),
    dict(type="RandomCrop", crop_size=crop_size),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PackSegInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(96, 64), keep_ratio=True),
    dict(type="LoadAnnotations"),
    dict(type="PackSegInputs"),
]
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(metainfo=metainfo, pipeline=train_pipeline))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(metainfo=metainfo, pipeline=test_pipeline))
test_dataloader = val_dataloader
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type="PolyLR", eta_min=0.0, power=0.9, begin=0, end=2, by_epoch=True, convert_to_iter_based=True)
]
train_cfg = dict(max_epochs=2, val_interval=2)
dst = dict(algorithm="set", sparsity=0.5, update_interval=2)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=3))
