# FCN with an ImageNet VGG16 backbone on Pascal VOC 2012: the paper's Table 3 recipe (80 epochs, SGD
# momentum 0.9, LR 1e-4, batch 4, polynomial LR decay, weight decay 1e-4), dense. The DST runs of Table 12
# inherit this file and set `dst`. See tasks/segmentation/README.md for the choices the paper leaves open.
default_scope = "mmseg"
work_dir = "runs/fcn_vgg16_voc_dense"

# Where VOCdevkit/VOC2012 lives; tasks.segmentation.train copies it into every dataset below.
data_root = "data/VOCdevkit/VOC2012"
voc_aug = False  # True: add the SBD-augmented set (SegmentationClassAug + ImageSets/Segmentation/aug.txt)
crop_size = (512, 512)

data_preprocessor = dict(
    type="SegDataPreProcessor",
    mean=[123.675, 116.28, 103.53],  # torchvision's ImageNet statistics, RGB, 0-255
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=crop_size,
)
model = dict(
    type="EncoderDecoder",
    data_preprocessor=data_preprocessor,
    # ImageNet weights: model.backbone.pretrained=/path/to/vgg16-397923af.pth (torchvision layout).
    backbone=dict(type="VGGBackbone", arch="vgg16", out_indices=(4,), pretrained=None),
    decode_head=dict(
        type="FCNHead",
        in_channels=512,
        in_index=0,
        channels=512,
        num_convs=2,
        kernel_size=3,
        concat_input=False,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg=dict(type="BN", requires_grad=True),
        align_corners=False,
        loss_decode=dict(type="CrossEntropyLoss", use_sigmoid=False, loss_weight=1.0),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode="whole"),
)

# mmseg's standard VOC pipelines.
train_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="LoadAnnotations"),
    dict(type="RandomResize", scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type="RandomCrop", crop_size=crop_size, cat_max_ratio=0.75),
    dict(type="RandomFlip", prob=0.5),
    dict(type="PhotoMetricDistortion"),
    dict(type="PackSegInputs"),
]
test_pipeline = [
    dict(type="LoadImageFromFile"),
    dict(type="Resize", scale=(2048, 512), keep_ratio=True),
    dict(type="LoadAnnotations"),
    dict(type="PackSegInputs"),
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type="DefaultSampler", shuffle=True),
    dataset=dict(
        type="PascalVOCDataset",
        data_root=data_root,
        data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClass"),
        ann_file="ImageSets/Segmentation/train.txt",
        pipeline=train_pipeline,
    ),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type="DefaultSampler", shuffle=False),
    dataset=dict(
        type="PascalVOCDataset",
        data_root=data_root,
        data_prefix=dict(img_path="JPEGImages", seg_map_path="SegmentationClass"),
        ann_file="ImageSets/Segmentation/val.txt",
        pipeline=test_pipeline,
    ),
)
test_dataloader = val_dataloader
val_evaluator = dict(type="IoUMetric", iou_metrics=["mIoU"])
test_evaluator = val_evaluator

optim_wrapper = dict(
    type="OptimWrapper",
    optimizer=dict(type="SGD", lr=1e-4, momentum=0.9, weight_decay=1e-4),
    clip_grad=None,
)
param_scheduler = [
    dict(type="PolyLR", eta_min=0.0, power=0.9, begin=0, end=80, by_epoch=True, convert_to_iter_based=True)
]
train_cfg = dict(type="EpochBasedTrainLoop", max_epochs=80, val_interval=10)
val_cfg = dict(type="ValLoop")
test_cfg = dict(type="TestLoop")

# DST (shared dscr.dst module, driven by DSTHook): Table 3's FCN row is ERK, ΔT 500, cosine decay, P 0.5.
dst = dict(algorithm="dense", sparsity=0.0, distribution="erk", update_interval=500, prune_rate=0.5,
           decay="cosine")
dst_init = "magnitude"  # prune the pretrained backbone by layer-wise magnitude, then fine-tune sparsely
dst_target = "backbone"  # only the backbone is sparse; the FCN head stays dense

default_hooks = dict(
    timer=dict(type="IterTimerHook"),
    logger=dict(type="LoggerHook", interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type="ParamSchedulerHook"),
    checkpoint=dict(type="CheckpointHook", by_epoch=True, interval=10, max_keep_ckpts=2, save_last=True),
    sampler_seed=dict(type="DistSamplerSeedHook"),
)
custom_hooks = [dict(type="RNGStateHook")]
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method="fork", opencv_num_threads=0),
               dist_cfg=dict(backend="nccl"))
log_processor = dict(by_epoch=True)
log_level = "INFO"
randomness = dict(seed=0)
load_from = None
resume = False
