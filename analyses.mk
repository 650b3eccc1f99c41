# The paper's analyses (issue 9), one target each, through the DVC pipeline (PROFILE=full for GPUs,
# PROFILE=smoke for a CPU). Included from the Makefile; uses its `profile` target and $(DVC).
.PHONY: reproduce-frequency reproduce-filters reproduce-gradcam reproduce-mixup reproduce-cost reproduce-ood \
	reproduce-fmnist reproduce-analyses

reproduce-frequency: profile ## radius-accuracy curves, final and over training (figure 18)
	$(DVC) repro analysis_frequency

reproduce-filters: profile ## non-zeros and sum |w| per kernel, dense vs each DST algorithm (figures 16-17)
	$(DVC) repro analysis_filters analysis_filters_resnet34

reproduce-gradcam: profile ## Grad-CAM of dense and DST models on clean and corrupted images (figure 19)
	$(DVC) repro analysis_gradcam

reproduce-mixup: profile ## Table 9: Dense vs SET with and without Mixup
	$(DVC) repro analysis_mixup

reproduce-cost: profile ## figure 9: training FLOPs and parameters vs robustness accuracy
	$(DVC) repro analysis_cost

reproduce-ood: profile ## Tables 10-11: ImageNet-R and ImageNet-v2 (needs the ImageNet runs of Table 2)
	$(DVC) repro analysis_ood

reproduce-fmnist: profile ## Table 8: MLP on Fashion-MNIST-C, Dense vs SET/RigL(/CHTs)
	$(DVC) repro analysis_fmnist

reproduce-analyses: reproduce-frequency reproduce-filters reproduce-gradcam reproduce-mixup reproduce-cost \
	reproduce-ood reproduce-fmnist ## every analysis above
